"""The activation functions of ``course.scratch.activations`` and their derivatives, side by side."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..scratch.activations import ACTIVATIONS, get_activation
from .figures import grid


def _break_jumps(y: np.ndarray, tol: float = 0.25) -> np.ndarray:
    """NaN where consecutive values jump, so a discontinuity is not drawn as a vertical line."""
    y = np.array(y, dtype=np.float64)
    y[1:][np.abs(np.diff(y)) > tol] = np.nan
    return y


def plot_activations(names: Sequence[str] | None = None, derivatives: bool = True,
                     x_range: tuple[float, float] = (-4.0, 4.0), cols: int = 5) -> Figure:
    """One panel per activation (all of them by default): f solid, its derivative dashed."""
    names = list(ACTIVATIONS) if names is None else [n.lower() for n in names]
    x = np.linspace(*x_range, 801)
    fig, axes = grid(len(names), cols)
    for ax, name in zip(axes, names):
        f, df = get_activation(name)
        ax.axhline(0, color="0.75", lw=0.8)
        ax.axvline(0, color="0.75", lw=0.8)
        ax.plot(x, _break_jumps(f(x)), lw=2, label="f(x)")
        if derivatives:
            ax.plot(x, _break_jumps(df(x)), "--", lw=1.5, label="f'(x)")
        ax.set_title(name)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)" if not derivatives else "f(x), f'(x)")
        ax.grid(True, alpha=0.3)
        if derivatives:
            ax.legend(fontsize="small", loc="upper left")
    fig.suptitle("Funciones de activación" + (" y sus derivadas" if derivatives else ""))
    return fig
