"""Gradients of the loss, layer by layer, in Keras or PyTorch: with respect to the weights of each
dense layer, or to the activations that :func:`~course.plots.plot_activation_histograms` shows.

Plotted at initialisation they show whether the error signal reaches the first layers intact,
fades on its way back (vanishing gradients) or grows (exploding gradients).
"""

from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np
from matplotlib.figure import Figure

from .weights import _histograms, _is_torch, _keras_dense_layers, _torch_activation_modules, _torch_linear_layers

WRT = ("weights", "activations")


def _torch_targets(y: Any, task: str) -> Any:
    torch = sys.modules["torch"]
    targets = torch.as_tensor(np.asarray(y))
    if task == "multiclass":
        return targets.long()
    targets = targets.float()
    return targets[:, None] if targets.dim() == 1 else targets


def _torch_gradients(model: Any, X: Any, y: Any, loss: Callable | None, wrt: str) -> list[tuple[str, np.ndarray]]:
    torch = sys.modules["torch"]
    from ..torch.training import default_loss, model_task

    task = model_task(model)
    loss_fn = loss if loss is not None else default_loss(task)
    param = next(model.parameters(), None)
    if param is None or not _torch_linear_layers(model):
        raise ValueError("the model has no dense layers to plot")
    inputs = torch.as_tensor(np.asarray(X), dtype=torch.float32).to(param.device)
    targets = _torch_targets(y, task).to(param.device)

    captured: list[tuple[str, Any]] = []
    handles = []
    if wrt == "activations":
        def hook_for(name: str):
            def hook(module, _inputs, output):
                captured.append((f"{name} ({type(module).__name__})", output))
            return hook
        handles = [m.register_forward_hook(hook_for(n)) for n, m in _torch_activation_modules(model)]
    was_training = model.training
    model.eval()  # no dropout, batch norm with its running statistics: a deterministic pass
    try:
        with torch.enable_grad():
            value = loss_fn(model(inputs), targets)
            if wrt == "weights":
                captured = [(f"{n} ({m.in_features}→{m.out_features})", m.weight) for n, m in _torch_linear_layers(model)]
            grads = torch.autograd.grad(value, [t for _, t in captured])  # no .grad is written
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    scale = len(inputs) if wrt == "activations" else 1  # per example: see layer_gradients
    return [(name, scale * g.detach().float().cpu().numpy()) for (name, _), g in zip(captured, grads)]


def _keras_dense_outputs(model: Any, layers: list, inputs: np.ndarray) -> tuple[list, Any]:
    """One forward pass returning the output of every dense layer, and the model's output."""
    import keras

    try:
        symbolic, final = [layer.output for layer in layers], model.outputs[0]
        last = next((i for i, t in enumerate(symbolic) if t is final), None)  # usually the last Dense
        probe = keras.Model(model.inputs[0] if len(model.inputs) == 1 else model.inputs,
                            symbolic + ([final] if last is None else []))
        results = list(probe(inputs, training=False))
        dense = results[:len(layers)]
        outputs = results[-1] if last is None else dense[last]
    except (AttributeError, ValueError):
        # A Sequential never called on data has no symbolic inputs: run its layers one by one.
        dense, outputs = [], inputs
        for layer in model.layers:
            outputs = layer(outputs, training=False)
            if layer in layers:
                dense.append(outputs)
    return dense, outputs


def _keras_gradients(model: Any, X: Any, y: Any, loss: Any, wrt: str) -> list[tuple[str, np.ndarray]]:
    import keras

    if keras.backend.backend() != "tensorflow":
        raise NotImplementedError("gradients of Keras models need the TensorFlow backend")
    import tensorflow as tf

    from ..keras.training import default_loss

    layers = _keras_dense_layers(model)
    if not layers:
        raise ValueError("the model has no dense layers to plot")
    if any(not layer.get_weights() for layer in layers):
        raise ValueError("the model has no weights yet: build it (keras.Input or model.build) first")
    loss_fn = keras.losses.get(loss if loss is not None else default_loss(model))
    inputs, targets = np.asarray(X, dtype=np.float32), np.asarray(y)
    with tf.GradientTape() as tape:
        if wrt == "weights":
            outputs = model(inputs, training=False)
            sources = [layer.kernel.value for layer in layers]
        else:
            sources, outputs = _keras_dense_outputs(model, layers, inputs)
            # A copy: Keras computes the cross-entropy of a softmax output from the logits it keeps
            # on the tensor, which would leave the last layer's output out of the gradient.
            outputs = tf.identity(outputs)
        value = tf.reduce_mean(loss_fn(targets, outputs))
    grads = tape.gradient(value, sources)
    if wrt == "weights":
        names = [f"{layer.name} ({k.shape[0]}→{k.shape[1]})" for layer, k in zip(layers, sources)]
    else:
        names = [f"{layer.name} ({layer.activation.__name__})" for layer in layers]
    scale = len(inputs) if wrt == "activations" else 1  # per example: see layer_gradients
    return [(name, scale * np.asarray(g)) for name, g in zip(names, grads)]


def layer_gradients(model: Any, X: Any, y: Any, loss: Any = None, wrt: str = "weights") -> list[tuple[str, np.ndarray]]:
    """``(name, gradient)`` per layer of the loss on one batch ``(X, y)``.

    ``wrt="weights"``: with respect to the weight matrix of each dense layer (what the optimizer
    uses; the shape of the weight: PyTorch ``(out, in)``, Keras ``(in, out)``).
    ``wrt="activations"``: with respect to the outputs that :func:`~course.plots.layer_activations`
    returns (the error signal that backpropagation carries back, one value per example and unit).
    Each row is the gradient of that example's own loss (the batch gradient times the batch size,
    for a loss that averages over the batch, as the default ones do), so the values do not depend
    on how many examples the batch holds.

    The loss defaults to the one the course trains the model with (cross-entropy for a
    classifier, MSE for a regression), without L1/L2 penalties. The pass runs in inference mode
    (no dropout) and changes nothing in the model: no ``.grad`` is written. Keras models need
    the TensorFlow backend.
    """
    if wrt not in WRT:
        raise ValueError(f"wrt must be one of {WRT}, got {wrt!r}")
    if _is_torch(model):
        return _torch_gradients(model, X, y, loss, wrt)
    return _keras_gradients(model, X, y, loss, wrt)


def plot_gradient_histograms(model: Any, X: Any, y: Any, loss: Any = None, wrt: str = "weights",
                             cols: int = 4) -> Figure:
    """One histogram per layer of the gradient of the loss on ``(X, y)`` (see :func:`layer_gradients`)."""
    what = "los pesos" if wrt == "weights" else "las activaciones"
    return _histograms(layer_gradients(model, X, y, loss, wrt), f"gradiente respecto a {what}",
                       f"Distribución de los gradientes respecto a {what}, por capa", cols)
