"""The learning-rate finder's curve: loss against a growing learning rate, on a log axis."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def _unpack(result: Any) -> tuple[np.ndarray, np.ndarray, float | None]:
    if hasattr(result, "lrs") and hasattr(result, "losses"):
        return np.asarray(result.lrs, float), np.asarray(result.losses, float), getattr(result, "suggestion", None)
    if isinstance(result, dict):
        return np.asarray(result["lrs"], float), np.asarray(result["losses"], float), result.get("suggestion")
    lrs, losses = result
    return np.asarray(lrs, float), np.asarray(losses, float), None


def plot_lr_finder(result: Any, suggestion: float | None = None) -> Figure:
    """Plot an LR-finder run: ``result`` has ``.lrs``, ``.losses`` (and ``.suggestion``), or is ``(lrs, losses)``.

    ``suggestion`` overrides ``result.suggestion``; a result with ``.smoothed()`` (as
    ``course.lr_finder``'s) is drawn faint and raw with the smoothed curve on top. The y axis is cut where the loss explodes
    so that the useful part of the curve stays readable.
    """
    lrs, losses, found = _unpack(result)
    if len(lrs) != len(losses) or len(lrs) == 0:
        raise ValueError(f"need as many losses as learning rates, got {len(lrs)} and {len(losses)}")
    suggestion = suggestion if suggestion is not None else found

    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    raw = losses
    smoothed = getattr(result, "smoothed", None)
    if callable(smoothed):  # course.lr_finder's result: noisy per-batch losses and a smoothed curve
        ax.plot(lrs, losses, lw=1, alpha=0.35, label="pérdida por lote")
        losses = np.asarray(smoothed(), dtype=float)
        ax.plot(lrs, losses, lw=2, color="tab:blue", label="pérdida suavizada")
    else:
        ax.plot(lrs, losses, lw=2, label="pérdida")
    ax.set_xscale("log")
    finite = losses[np.isfinite(losses)]
    if len(finite):
        low, start = finite.min(), finite[0]
        raw_finite = raw[np.isfinite(raw)]
        bottom = min(low, raw_finite.min()) if len(raw_finite) else low
        top = start + 1.5 * (start - low) if start > low else finite.max()
        top = min(top, finite.max())
        if top > low:
            pad = 0.05 * (top - bottom)
            ax.set_ylim(bottom - pad, top + pad)
    if suggestion is not None:
        i = int(np.argmin(np.abs(np.log(lrs) - np.log(suggestion))))
        ax.axvline(suggestion, color="tab:red", linestyle="--", lw=1.5, label=f"sugerencia: {suggestion:.1e}")
        ax.plot(lrs[i], losses[i], "o", color="tab:red", ms=8)
    if suggestion is not None or callable(smoothed):
        ax.legend(loc="best")
    ax.set_xlabel("Tasa de aprendizaje (escala logarítmica)")
    ax.set_ylabel("Pérdida")
    ax.set_title("Buscador de la tasa de aprendizaje")
    ax.grid(True, which="both", alpha=0.3)
    return fig
