"""Image grids with labels and predictions, and the confusion matrix."""

from __future__ import annotations

import math
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .figures import grid

RIGHT, WRONG = "#1a7f37", "#cf222e"


def _as_images(X: np.ndarray) -> np.ndarray:
    """Images as (n, H, W) or (n, H, W, 3) from flat, channels-last or channels-first arrays."""
    X = np.asarray(X)
    if X.ndim == 2:  # flattened square images
        side = math.isqrt(X.shape[1])
        if side * side != X.shape[1]:
            raise ValueError(f"cannot reshape rows of length {X.shape[1]} into square images")
        return X.reshape(len(X), side, side)
    if X.ndim == 4 and X.shape[1] in (1, 3) and X.shape[-1] not in (1, 3):
        X = np.moveaxis(X, 1, -1)  # PyTorch's (n, C, H, W)
    if X.ndim == 4 and X.shape[-1] == 1:
        X = X[..., 0]
    if X.ndim not in (3, 4):
        raise ValueError(f"expected images shaped (n, H, W), (n, H, W, C), (n, C, H, W) or (n, H*W); got {X.shape}")
    return X


def _as_labels(y: np.ndarray | None) -> np.ndarray | None:
    """Integer labels from labels, one-hot rows or probability rows."""
    if y is None:
        return None
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y)).astype(np.int64)


def _name(label: int, class_names: Sequence[str] | None) -> str:
    return str(class_names[label]) if class_names is not None else str(label)


def plot_images(X: np.ndarray, y: np.ndarray | None = None, class_names: Sequence[str] | None = None,
                n: int = 25, predictions: np.ndarray | None = None, cols: int = 5) -> Figure:
    """The first ``n`` images on a grid, titled with their class.

    With ``predictions`` (labels or probability rows) each title reads "predicted (true)" and
    the wrong ones are red, framed and listed in the figure title.
    """
    images = _as_images(X)[:n]
    labels = _as_labels(y)
    preds = _as_labels(predictions)
    count = len(images)
    if count == 0:
        raise ValueError("no images to plot")
    fig, axes = grid(count, cols, panel=(1.9, 2.1))
    wrong = 0
    for i, ax in enumerate(axes):
        ax.imshow(images[i], cmap="binary" if images.ndim == 3 else None)
        ax.set_xticks([])
        ax.set_yticks([])
        if preds is not None:
            text = _name(preds[i], class_names)
            colour = "black"
            if labels is not None:
                is_wrong = preds[i] != labels[i]
                wrong += is_wrong
                colour = WRONG if is_wrong else RIGHT
                if is_wrong:
                    text = f"{text}\n(real: {_name(labels[i], class_names)})"
                    for spine in ax.spines.values():
                        spine.set_color(WRONG)
                        spine.set_linewidth(2.5)
            ax.set_title(text, fontsize=9, color=colour)
        elif labels is not None:
            ax.set_title(_name(labels[i], class_names), fontsize=9)
    if preds is not None and labels is not None:
        fig.suptitle(f"Predicciones: {count - wrong} de {count} aciertos (errores en rojo)")
    elif preds is not None:
        fig.suptitle("Predicciones")
    else:
        fig.suptitle(f"{count} ejemplos")
    return fig


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """Counts ``C[i, j]`` of examples of class ``i`` predicted as ``j``: scikit-learn's
    ``confusion_matrix`` over the classes ``0 .. n_classes - 1`` (default: up to the largest label
    seen). Labels may also be given as one-hot or probability rows."""
    from sklearn.metrics import confusion_matrix as _sk_confusion_matrix

    true_labels, predicted = _as_labels(y_true), _as_labels(y_pred)
    assert true_labels is not None and predicted is not None
    y_true, y_pred = true_labels, predicted
    k = n_classes or int(max(y_true.max(), y_pred.max())) + 1
    return _sk_confusion_matrix(y_true, y_pred, labels=np.arange(k)).astype(np.int64)


def plot_confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str] | None = None,
                          normalize: bool = True) -> Figure:
    """The confusion matrix as a heat map; ``normalize`` divides each row by its class's size."""
    k = len(class_names) if class_names is not None else None
    counts = confusion_matrix(y_true, y_pred, k)
    k = len(counts)
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    if normalize:
        values = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    else:
        values = counts.astype(np.float64)
    size = max(4.5, 0.55 * k + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1, size), layout="constrained")
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, shrink=0.8, label="fracción de la clase real" if normalize else "ejemplos")
    threshold = values.max() / 2
    for i in range(k):
        for j in range(k):
            text = f"{values[i, j]:.2f}" if normalize else str(counts[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=8 if k > 6 else 10,
                    color="white" if values[i, j] > threshold else "black")
    ax.set_xticks(range(k), names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("Clase predicha")
    ax.set_ylabel("Clase real")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title("Matriz de confusión" + (" (normalizada por fila)" if normalize else "")
                 + f"\nexactitud: {accuracy:.1%}")
    return fig
