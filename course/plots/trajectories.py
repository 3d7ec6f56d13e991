"""Paths of optimizers on a 2-D function: its contour lines and one trajectory per optimizer."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence, cast

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

MAX_DOTS = 200  # longer paths are drawn as plain lines


def contour_levels(values: np.ndarray, levels: int = 30, log: bool = False) -> np.ndarray:
    """``levels`` contour values spanning ``values``: evenly spaced, or geometric when ``log``.

    Geometric levels suit functions with a deep narrow valley (Rosenbrock): evenly spaced ones
    would put nearly every line on the walls and none near the minimum.
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        raise ValueError("the function is not finite anywhere on the grid")
    low, high = finite.min(), finite.max()
    if not log:
        return np.linspace(low, high, levels)
    positive = finite[finite > 0]
    if positive.size == 0:
        raise ValueError("log levels need positive function values")
    return np.geomspace(max(positive.min(), high * 1e-8), high, levels)


def plot_trajectories(f: Callable[[np.ndarray, np.ndarray], Any], paths: Mapping[str, Any], *,
                      xlim: tuple[float, float] = (-2.0, 2.0), ylim: tuple[float, float] = (-2.0, 2.0),
                      levels: int | Sequence[float] = 30, log_levels: bool = False,
                      minimum: Sequence[float] | None = None, resolution: int = 200,
                      title: str = "Trayectorias de los optimizadores", xlabel: str = "$x$",
                      ylabel: str = "$y$", legend_loc: str | None = None, ax: plt.Axes | None = None) -> Figure:
    """Contour lines of ``f(x, y)`` and, on top, one path per entry of ``paths``.

    - ``f`` takes two arrays of the same shape (a grid) and returns the values, element-wise.
    - ``paths``: ``{name: points}`` with ``points`` of shape ``(steps + 1, 2)``, the start first.
      Each path is a line (with a dot per step when it has at most ``MAX_DOTS`` points), a
      square at its start and a cross at its end; its name goes to the legend. Where paths
      overlap, the earlier ones are drawn on top.
    - ``levels``: how many contour lines (or their values); ``log_levels`` spaces them
      geometrically. ``minimum``, when given, is marked with a star.
    - ``legend_loc``: where the legend goes inside the axes (``"lower left"``...); by default it
      sits outside, to the right, where it hides nothing.

    Draws on ``ax`` when given; returns the figure.
    """
    checked = {}
    for name, points in paths.items():
        points = np.asarray(points, dtype=float)
        if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise ValueError(f"path {name!r} must have shape (steps + 1, 2), got {points.shape}")
        checked[str(name)] = points

    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    xx, yy = np.meshgrid(xs, ys)
    zz = np.asarray(f(xx, yy), dtype=float)
    if zz.shape != xx.shape:
        raise ValueError(f"f must be element-wise: for a grid of shape {xx.shape} it returned {zz.shape}")
    contours = contour_levels(zz, levels, log=log_levels) if isinstance(levels, int) else levels

    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 5.5), layout="constrained")
    else:
        fig = cast(Figure, ax.figure)  # a subfigure's axes draw on its root figure
    ax.contour(xx, yy, zz, levels=contours, cmap="Greys_r", linewidths=0.7, alpha=0.8)

    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, points) in enumerate(checked.items()):
        colour = colours[i % len(colours)]
        dots = "o" if len(points) <= MAX_DOTS else None  # a dot per step, unless they would blur the line
        z = 3 + (len(checked) - i) / len(checked)  # earlier paths on top: where paths overlap, the first shows
        ax.plot(points[:, 0], points[:, 1], "-", marker=dots, color=colour, lw=1.5, ms=2.5, label=name, zorder=z)
        ax.plot(*points[0], "s", color=colour, ms=7, mec="k", zorder=5)
        ax.plot(*points[-1], "X", color=colour, ms=9, mec="k", zorder=5)
    if minimum is not None:
        ax.plot(*np.asarray(minimum, dtype=float), "*", color="gold", ms=16, mec="k", label="mínimo", zorder=6)
    ax.plot([], [], "s", color="0.6", mec="k", label="inicio")
    ax.plot([], [], "X", color="0.6", mec="k", ms=9, label="final")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if legend_loc is None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    else:
        ax.legend(loc=cast(Any, legend_loc), fontsize="small")  # matplotlib's stubs list the places
    return fig
