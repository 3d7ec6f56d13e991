"""Look inside a Keras model: the weights, the activations and the gradients of each dense layer,
as plain NumPy arrays (the same functions as :mod:`course.torch.inspection`).

Each function returns a list of ``(name, array)`` pairs, one per ``Dense`` layer, ready for
:func:`course.plots.plot_weight_histograms` and its siblings.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from .models import dense_layers
from .training import default_loss

WRT = ("weights", "activations")


def _built_dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    layers = dense_layers(model)
    if not layers:
        raise ValueError("the model has no Dense layers")
    if any(not layer.get_weights() for layer in layers):
        raise ValueError("the model has no weights yet: build it (keras.Input or model.build) first")
    return layers


def layer_weights(model: keras.Model) -> list[tuple[str, np.ndarray]]:
    """``(name, kernel)`` of each ``Dense`` layer; the kernel in Keras' layout ``(n_in, n_out)``."""
    return [(layer.name, np.asarray(layer.get_weights()[0])) for layer in _built_dense_layers(model)]


def _dense_outputs(model: keras.Model, layers: list, inputs: np.ndarray) -> tuple[list, Any]:
    """One forward pass (inference mode) returning the output of every dense layer, and the model's output."""
    try:
        symbolic, final = [layer.output for layer in layers], model.outputs[0]
        last = next((i for i, t in enumerate(symbolic) if t is final), None)  # usually the last Dense
        probe = keras.Model(model.inputs[0] if len(model.inputs) == 1 else model.inputs,
                            symbolic + ([final] if last is None else []))
        # Called directly rather than with predict(): no tf.function to trace for a one-off model.
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


def _activation_names(layers: list) -> list[str]:
    return [f"{layer.name} ({layer.activation.__name__})" for layer in layers]


def layer_activations(model: keras.Model, X: Any) -> list[tuple[str, np.ndarray]]:
    """``(name, outputs on X)`` of each ``Dense`` layer (after its activation), in inference mode.

    The last entry is the model's output layer.
    """
    layers = _built_dense_layers(model)
    outputs, _ = _dense_outputs(model, layers, np.asarray(X, dtype=np.float32))
    names = _activation_names(layers)
    return [(name, keras.ops.convert_to_numpy(out)) for name, out in zip(names, outputs, strict=True)]


def layer_gradients(model: keras.Model, X: Any, y: Any, loss: Any = None,
                    wrt: str = "weights") -> list[tuple[str, np.ndarray]]:
    """``(name, gradient)`` per dense layer of the loss on one batch ``(X, y)``.

    ``wrt="weights"``: with respect to each kernel (what the optimizer uses), in Keras' layout
    ``(n_in, n_out)``. ``wrt="activations"``: with respect to the outputs that
    :func:`layer_activations` returns (the error signal that backpropagation carries back, one row
    per example). Each row is the gradient of that example's own loss (the batch gradient times
    the batch size, for a loss that averages over the batch, as the default ones do), so the
    values do not depend on how many examples the batch holds.

    The loss defaults to :func:`~course.keras.default_loss` (without L1/L2 penalties). The pass
    runs in inference mode (no dropout) and changes nothing in the model. Needs the TensorFlow backend.
    """
    if wrt not in WRT:
        raise ValueError(f"wrt must be one of {WRT}, got {wrt!r}")
    if keras.backend.backend() != "tensorflow":
        raise NotImplementedError("gradients of Keras models need the TensorFlow backend")
    import tensorflow as tf

    layers = _built_dense_layers(model)
    loss_fn = keras.losses.get(loss if loss is not None else default_loss(model))
    inputs, targets = np.asarray(X, dtype=np.float32), np.asarray(y)
    with tf.GradientTape() as tape:
        if wrt == "weights":
            outputs = model(inputs, training=False)
            sources = [layer.kernel.value for layer in layers]
        else:
            sources, outputs = _dense_outputs(model, layers, inputs)
            # A copy: Keras computes the cross-entropy of a softmax output from the logits it keeps
            # on the tensor, which would leave the last layer's output out of the gradient.
            outputs = tf.identity(outputs)
        value = tf.reduce_mean(loss_fn(targets, outputs))
    grads = tape.gradient(value, sources)
    if wrt == "weights":
        names = [f"{layer.name} ({k.shape[0]}→{k.shape[1]})" for layer, k in zip(layers, sources, strict=True)]
    else:
        names = _activation_names(layers)
    scale = len(inputs) if wrt == "activations" else 1  # per example
    return [(name, scale * np.asarray(g)) for name, g in zip(names, grads, strict=True)]
