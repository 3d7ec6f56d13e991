"""Histograms of the weights and activations of each layer, from the arrays that
``course.keras`` and ``course.torch`` return (``layer_weights``, ``layer_activations``).

Watching how these distributions spread, shrink or saturate is how we see vanishing and
exploding gradients, dead ReLUs and the effect of a good initialisation.

>>> from course import torch as K          # or: from course import keras as K
>>> plot_weight_histograms(K.layer_weights(model))
>>> plot_activation_histograms(K.layer_activations(model, X_batch))
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from matplotlib.figure import Figure

from .figures import grid

Panels = Sequence[tuple[str, Any]]


def _panels(panels: Any, function: str, helper: str) -> list[tuple[str, np.ndarray]]:
    """``(name, array)`` pairs, checked: a model given instead of the arrays gets a clear message."""
    try:
        pairs = [(str(name), np.asarray(values)) for name, values in panels]
    except (TypeError, ValueError):
        pairs = None
    if pairs is None:
        raise TypeError(f"{function} takes the (name, array) pairs that course.keras.{helper} or "
                        f"course.torch.{helper} returns, e.g. {function}(K.{helper}(model, ...)); "
                        f"got a {type(panels).__name__}")
    if not pairs:
        raise ValueError("no layers to plot")
    return pairs


def _histograms(panels: list[tuple[str, np.ndarray]], xlabel: str, title: str, cols: int) -> Figure:
    fig, axes = grid(len(panels), cols, panel=(3.4, 2.8))
    for ax, (name, values) in zip(axes, panels, strict=True):
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


def plot_weight_histograms(weights: Panels, cols: int = 4) -> Figure:
    """One histogram per layer of the ``(name, weights)`` pairs of ``K.layer_weights(model)``."""
    panels = _panels(weights, "plot_weight_histograms", "layer_weights")
    return _histograms(panels, "peso", "Distribución de los pesos por capa", cols)


def plot_activation_histograms(activations: Panels, cols: int = 4) -> Figure:
    """One histogram per layer of the ``(name, outputs)`` pairs of ``K.layer_activations(model, X)``."""
    panels = _panels(activations, "plot_activation_histograms", "layer_activations")
    return _histograms(panels, "activación", "Distribución de las activaciones por capa", cols)
