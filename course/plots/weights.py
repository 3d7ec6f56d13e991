"""Histograms of the weights and activations of each dense layer (Keras or PyTorch).

Watching how these distributions spread, shrink or saturate is how we see vanishing and
exploding gradients, dead ReLUs and the effect of a good initialisation.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .figures import grid


def _is_torch(model: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def _keras_dense_layers(model: Any) -> list:
    import keras

    def walk(layer: Any) -> list:
        found = []
        for sub in getattr(layer, "layers", []):
            found += [sub] if isinstance(sub, keras.layers.Dense) else walk(sub)
        return found

    return walk(model)


def _torch_linear_layers(model: Any) -> list[tuple[str, Any]]:
    torch = sys.modules["torch"]
    return [(name or "linear", m) for name, m in model.named_modules() if isinstance(m, torch.nn.Linear)]


def layer_weights(model: Any) -> list[tuple[str, np.ndarray]]:
    """``(name, weight matrix)`` of each dense layer: Keras ``Dense`` or torch ``nn.Linear``."""
    if _is_torch(model):
        return [(name, m.weight.detach().cpu().numpy()) for name, m in _torch_linear_layers(model)]
    layers = _keras_dense_layers(model)
    if any(not layer.get_weights() for layer in layers):
        raise ValueError("the model has no weights yet: build it (keras.Input or model.build) first")
    return [(layer.name, layer.get_weights()[0]) for layer in layers]


def _torch_activation_modules(model: Any) -> list[tuple[str, Any]]:
    """The activation modules (ReLU, Tanh...) of ``model``, else its Linear layers."""
    torch = sys.modules["torch"]
    activation_types = tuple(
        cls for cls in vars(torch.nn.modules.activation).values()
        if isinstance(cls, type) and issubclass(cls, torch.nn.Module) and cls is not torch.nn.Module
        and cls.__module__ == "torch.nn.modules.activation" and cls.__name__ != "MultiheadAttention"
    )
    named = [(n, m) for n, m in model.named_modules() if isinstance(m, activation_types)]
    return named or _torch_linear_layers(model)


def _torch_activations(model: Any, X: Any) -> list[tuple[str, np.ndarray]]:
    """Outputs of the activation modules (ReLU, Tanh...) in call order, else of the Linear layers."""
    torch = sys.modules["torch"]
    named = _torch_activation_modules(model)
    captured: list[tuple[str, np.ndarray]] = []

    def hook_for(name: str):
        def hook(_module, _inputs, output):
            captured.append((f"{name} ({type(_module).__name__})", output.detach().float().cpu().numpy()))
        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in named]
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.as_tensor(np.asarray(X) if not torch.is_tensor(X) else X, dtype=torch.float32).to(device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return captured


def _keras_activations(model: Any, X: Any) -> list[tuple[str, np.ndarray]]:
    import keras

    layers = _keras_dense_layers(model)
    try:
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        probe = keras.Model(inputs, [layer.output for layer in layers])
        # Called directly rather than with predict(): no tf.function to trace for a one-off model.
        outputs = probe(np.asarray(X, dtype=np.float32), training=False)
    except (AttributeError, ValueError):
        # A Sequential never called on data has no symbolic inputs: run its layers one by one.
        outputs, x = [], np.asarray(X, dtype=np.float32)
        for layer in model.layers:
            x = layer(x, training=False)
            if layer in layers:
                outputs.append(x)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return [(f"{layer.name} ({layer.activation.__name__})", keras.ops.convert_to_numpy(out))
            for layer, out in zip(layers, outputs)]


def layer_activations(model: Any, X: Any) -> list[tuple[str, np.ndarray]]:
    """``(name, outputs on X)`` per dense layer (Keras) or per activation module (torch)."""
    return _torch_activations(model, X) if _is_torch(model) else _keras_activations(model, X)


def _histograms(panels: list[tuple[str, np.ndarray]], xlabel: str, title: str, cols: int) -> Figure:
    if not panels:
        raise ValueError("the model has no dense layers to plot")
    fig, axes = grid(len(panels), cols, panel=(3.4, 2.8))
    for ax, (name, values) in zip(axes, panels):
        values = np.ravel(values)
        ax.hist(values, bins=min(50, max(10, int(np.sqrt(values.size)))), color="tab:blue", alpha=0.8)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("frecuencia")
        ax.locator_params(axis="x", nbins=5)  # long tick labels (small values) must not overlap
        zeros = np.mean(values == 0)
        number = "{:.3f}" if values.std() >= 0.01 else "{:.2e}"  # tiny values (gradients) are not 0.000
        note = f"media {number.format(values.mean())}\ndesv. {number.format(values.std())}"
        if zeros > 0.01:
            note += f"\nceros {zeros:.0%}"
        ax.text(0.97, 0.95, note, transform=ax.transAxes, ha="right", va="top", fontsize=8,
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8})
    fig.suptitle(title)
    return fig


def plot_weight_histograms(model: Any, cols: int = 4) -> Figure:
    """One histogram of weights per dense layer (Keras ``Dense``, torch ``nn.Linear``)."""
    return _histograms(layer_weights(model), "peso", "Distribución de los pesos por capa", cols)


def plot_activation_histograms(model: Any, X: Any, cols: int = 4) -> Figure:
    """One histogram of the layer outputs on ``X`` per dense layer (torch: per activation module)."""
    return _histograms(layer_activations(model, X), "activación", "Distribución de las activaciones por capa", cols)
