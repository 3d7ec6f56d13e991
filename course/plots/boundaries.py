"""Decision regions of any classifier on 2-D data: a NumPy function, scikit-learn, ``course.scratch``,
or a Keras/PyTorch network through ``course.keras.predict_proba``/``course.torch.predict_proba``."""

from __future__ import annotations

from typing import Any, cast

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

CLASS_COLOURS = plt.get_cmap("tab10").colors  # type: ignore[attr-defined]  # a ListedColormap


def raw_outputs(model: Any, X: np.ndarray) -> np.ndarray:
    """What ``model`` says about the rows of ``X``: scores, probabilities or labels, as NumPy.

    Accepts anything with ``predict_proba`` or ``predict`` taking a NumPy array (scikit-learn,
    ``course.scratch``), or a plain function of a NumPy array. For a Keras or PyTorch network give
    the course's function: ``lambda X: K.predict_proba(model, X)`` (``K`` is ``course.keras`` or
    ``course.torch``), or ``K.predict`` for a regression-like single output.
    """
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X))
    if hasattr(model, "predict"):
        return np.asarray(model.predict(X))
    if not callable(model):
        raise TypeError(f"cannot get predictions from a {type(model).__name__}")
    try:
        return np.asarray(model(X))
    except TypeError as exc:  # e.g. a torch.nn.Module, which wants tensors
        raise TypeError(f"{type(model).__name__} does not take a NumPy array; pass a function that does, "
                        "e.g. lambda X: course.torch.predict(model, X)") from exc


def to_labels(outputs: np.ndarray) -> np.ndarray:
    """Class labels from model outputs.

    Several columns: the argmax (softmax or logits alike). One column or 1-D: integer values are
    labels already; values in [0, 1] are probabilities (>= 0.5 is class 1); anything else is a
    score or logit (>= 0 is class 1).
    """
    out = np.asarray(outputs)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    out = out.reshape(len(out)).astype(np.float64)
    if np.all(out == np.round(out)):
        return out.astype(np.int64)
    if out.min() >= 0 and out.max() <= 1:
        return (out >= 0.5).astype(np.int64)
    return (out >= 0).astype(np.int64)


def plot_decision_boundary(model: Any, X: np.ndarray, y: np.ndarray, ax: plt.Axes | None = None,
                           resolution: int = 200, title: str | None = None) -> Figure:
    """Colour the plane by the class ``model`` predicts and draw the data ``(X, y)`` on top.

    ``X`` has two columns. The model may return labels, probabilities (sigmoid or softmax) or
    raw scores; see :func:`to_labels`. Draws on ``ax`` when given; returns the figure.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D points (n, 2), got shape {X.shape}")
    span = X.max(axis=0) - X.min(axis=0)
    low, high = X.min(axis=0) - 0.1 * span - 1e-3, X.max(axis=0) + 0.1 * span + 1e-3
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    points = np.column_stack([xx.ravel(), yy.ravel()])
    # One call for the grid and the data (a network's predict function may be traced on every new call).
    labels = to_labels(raw_outputs(model, np.vstack([points, X])))
    predicted, on_data = labels[:len(points)], labels[len(points):]

    classes = np.unique(np.concatenate([y, predicted]))
    index = {c: i for i, c in enumerate(classes)}
    colours = [CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(len(classes))]
    zz = np.vectorize(index.get)(predicted).reshape(xx.shape)

    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
    else:
        fig = cast(Figure, ax.figure)  # a subfigure's axes draw on its root figure
    levels = np.arange(len(classes) + 1) - 0.5
    ax.contourf(xx, yy, zz, levels=levels, cmap=ListedColormap(colours), alpha=0.25)
    if len(classes) > 1:
        ax.contour(xx, yy, zz, levels=levels[1:-1], colors="k", linewidths=1)
    for c in np.unique(y):
        mask = y == c
        ax.scatter(X[mask, 0], X[mask, 1], s=25, color=colours[index[c]], edgecolors="k", linewidths=0.5,
                   label=f"clase {c}")
    accuracy = (on_data == y).mean()
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="k", lw=1, label="frontera"))
    ax.legend(handles=handles, loc="best", fontsize="small", title=f"exactitud: {accuracy:.0%}")
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title or "Frontera de decisión")
    return fig
