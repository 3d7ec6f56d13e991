"""Look inside a PyTorch model: the weights, the activations and the gradients of each layer, as
plain NumPy arrays (the same functions as :mod:`course.keras.inspection`).

Each function returns a list of ``(name, array)`` pairs, ready for
:func:`course.plots.plot_weight_histograms` and its siblings.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from .training import _targets, default_loss, model_task

WRT = ("weights", "activations")

# The activation modules of torch.nn (ReLU, Tanh, Softmax...), found by their home module.
_ACTIVATION_TYPES = tuple(
    cls for cls in vars(nn.modules.activation).values()
    if isinstance(cls, type) and issubclass(cls, nn.Module) and cls is not nn.Module
    and cls.__module__ == "torch.nn.modules.activation" and cls is not nn.MultiheadAttention
)


def _linear_layers(model: nn.Module) -> list[tuple[str, nn.Linear]]:
    layers = [(name or "linear", m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError("the model has no nn.Linear layers")
    return layers


def _activation_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The activation modules (ReLU, Tanh...) of ``model``; its Linear layers when it has none
    (a network that calls ``torch.relu`` in its ``forward``)."""
    named: list[tuple[str, nn.Module]] = [(n, m) for n, m in model.named_modules() if isinstance(m, _ACTIVATION_TYPES)]
    return named or list(_linear_layers(model))


def _device(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _inputs(X: Any, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(X if torch.is_tensor(X) else np.asarray(X), dtype=torch.float32).to(device)


def layer_weights(model: nn.Module) -> list[tuple[str, np.ndarray]]:
    """``(name, weight)`` of each ``nn.Linear``; the weight in PyTorch's layout ``(n_out, n_in)``."""
    return [(name, m.weight.detach().cpu().numpy()) for name, m in _linear_layers(model)]


def layer_activations(model: nn.Module, X: Any) -> list[tuple[str, np.ndarray]]:
    """``(name, outputs on X)`` of each activation module (ReLU, Tanh...) in call order, in
    evaluation mode; of each ``nn.Linear`` when the model has no activation modules.

    The course's networks return logits: the output layer has no activation module, so it is not listed.
    """
    captured: list[tuple[str, np.ndarray]] = []

    def hook_for(name: str) -> Callable:
        def hook(module: nn.Module, _inputs: Any, output: torch.Tensor) -> None:
            captured.append((f"{name} ({type(module).__name__})", output.detach().float().cpu().numpy()))
        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in _activation_modules(model)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(_inputs(X, _device(model)))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return captured


def layer_gradients(model: nn.Module, X: Any, y: Any, loss: Callable | None = None,
                    wrt: str = "weights") -> list[tuple[str, np.ndarray]]:
    """``(name, gradient)`` per layer of the loss on one batch ``(X, y)``.

    ``wrt="weights"``: with respect to the weight of each ``nn.Linear`` (what the optimizer uses),
    in PyTorch's layout ``(n_out, n_in)``. ``wrt="activations"``: with respect to the outputs that
    :func:`layer_activations` returns (the error signal that backpropagation carries back, one row
    per example). Each row is the gradient of that example's own loss (the batch gradient times
    the batch size, for a loss that averages over the batch, as the default ones do), so the
    values do not depend on how many examples the batch holds.

    The loss defaults to :func:`~course.torch.default_loss` (without L1/L2 penalties). The pass
    runs in evaluation mode (no dropout) and changes nothing in the model: no ``.grad`` is written.
    """
    if wrt not in WRT:
        raise ValueError(f"wrt must be one of {WRT}, got {wrt!r}")
    linear = _linear_layers(model)
    loss_fn = loss if loss is not None else default_loss(model)
    device = _device(model)
    inputs, targets = _inputs(X, device), _targets(y, model_task(model)).to(device)

    captured: list[tuple[str, torch.Tensor]] = []
    handles = []
    if wrt == "activations":
        def hook_for(name: str) -> Callable:
            def hook(module: nn.Module, _inputs: Any, output: torch.Tensor) -> None:
                captured.append((f"{name} ({type(module).__name__})", output))
            return hook
        handles = [m.register_forward_hook(hook_for(n)) for n, m in _activation_modules(model)]
    was_training = model.training
    model.eval()  # no dropout, batch norm with its running statistics: a deterministic pass
    try:
        with torch.enable_grad():
            value = loss_fn(model(inputs), targets)
            if wrt == "weights":
                captured = [(f"{n} ({m.in_features}→{m.out_features})", m.weight) for n, m in linear]
            grads = torch.autograd.grad(value, [t for _, t in captured])  # no .grad is written
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    scale = len(inputs) if wrt == "activations" else 1  # per example
    return [(name, scale * g.detach().float().cpu().numpy()) for (name, _), g in zip(captured, grads, strict=True)]
