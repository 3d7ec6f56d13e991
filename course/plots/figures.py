"""Saving figures (as handson-ml3's ``save_fig``) and small helpers shared by the plotting modules."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def save_fig(fig: Figure, name: str, folder: str | Path = "figures", fmt: str = "png",
             dpi: int = 150, tight_layout: bool = True) -> Path:
    """Save ``fig`` as ``folder/name.fmt`` (creating ``folder``) and return the path."""
    path = Path(folder) / f"{name}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if tight_layout and not fig.get_constrained_layout():
        fig.tight_layout()
    fig.savefig(path, format=fmt, dpi=dpi, bbox_inches="tight")
    return path


def grid(n: int, cols: int, panel: tuple[float, float] = (3.2, 2.6)) -> tuple[Figure, list]:
    """A figure with ``n`` panels on rows of ``cols``; extra panels are hidden. Returns (fig, axes)."""
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(panel[0] * cols, panel[1] * rows + 0.6),
                             squeeze=False, layout="constrained")
    flat = list(axes.ravel())
    for ax in flat[n:]:
        fig.delaxes(ax)
    return fig, flat[:n]
