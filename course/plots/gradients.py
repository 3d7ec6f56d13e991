"""Histograms of the gradients of the loss, layer by layer, from the arrays that
``course.keras.layer_gradients`` and ``course.torch.layer_gradients`` return: with respect to the
weights of each dense layer, or to the activations that :func:`~course.plots.plot_activation_histograms` shows.

Plotted at initialisation they show whether the error signal reaches the first layers intact,
fades on its way back (vanishing gradients) or grows (exploding gradients).

>>> from course import torch as K          # or: from course import keras as K
>>> plot_gradient_histograms(K.layer_gradients(model, X_batch, y_batch, wrt="activations"), wrt="activations")
"""

from __future__ import annotations

from matplotlib.figure import Figure

from .weights import Panels, _histograms, _panels

WRT = ("weights", "activations")


def plot_gradient_histograms(gradients: Panels, wrt: str = "weights", cols: int = 4) -> Figure:
    """One histogram per layer of the ``(name, gradient)`` pairs of ``K.layer_gradients(model, X, y, wrt=...)``;
    ``wrt`` (``"weights"`` or ``"activations"``, as given to ``layer_gradients``) names the axes."""
    if wrt not in WRT:
        raise ValueError(f"wrt must be one of {WRT}, got {wrt!r}")
    panels = _panels(gradients, "plot_gradient_histograms", "layer_gradients")
    what = "los pesos" if wrt == "weights" else "las activaciones"
    return _histograms(panels, f"gradiente respecto a {what}",
                       f"Distribución de los gradientes respecto a {what}, por capa", cols)
