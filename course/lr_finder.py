"""The learning-rate finder, framework-neutral: the sweep, the smoothing and the suggestion.

Train for a few hundred batches while the learning rate grows exponentially from tiny to huge,
and record the loss. The loss first barely moves, then falls fast, then explodes. A good learning
rate is about ten times smaller than the one at the bottom of the (smoothed) curve.
``course.keras.lr_find`` and ``course.torch.lr_find`` give :func:`sweep` one training step each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np


@dataclass
class LRFinderResult:
    """Learning rates tried, the loss of the batch trained with each one, and the suggested rate."""

    lrs: np.ndarray
    losses: np.ndarray
    suggestion: float

    def smoothed(self, beta: float = 0.9) -> np.ndarray:
        """The losses smoothed as :func:`suggest_lr` smooths them."""
        return smooth_losses(self.losses, beta)

    def plot(self, ax: Any = None) -> Any:
        """Loss against learning rate (log scale), with the suggestion marked; returns the figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 4))
        else:
            fig = ax.figure
        ax.plot(self.lrs, self.losses, alpha=0.3, label="pérdida por lote")
        ax.plot(self.lrs, self.smoothed(), label="pérdida suavizada")
        ax.axvline(self.suggestion, color="tab:red", linestyle="--",
                   label=f"sugerencia: {self.suggestion:.2g}")
        ax.set_xscale("log")
        ax.set_xlabel("tasa de aprendizaje")
        ax.set_ylabel("pérdida")
        ax.legend()
        return fig


def exponential_lrs(start_lr: float = 1e-5, end_lr: float = 10.0, steps: int = 200) -> np.ndarray:
    """``steps`` learning rates from ``start_lr`` to ``end_lr``, equally spaced on a log scale."""
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if steps < 2:
        raise ValueError(f"need at least 2 steps, got {steps}")
    return np.geomspace(start_lr, end_lr, steps)


def smooth_losses(losses: Any, beta: float = 0.9) -> np.ndarray:
    """Exponential moving average of the losses, with bias correction (no drag towards 0 at first)."""
    smoothed, avg = [], 0.0
    for i, loss in enumerate(np.asarray(losses, dtype=float)):
        avg = beta * avg + (1 - beta) * loss
        smoothed.append(avg / (1 - beta ** (i + 1)))
    return np.array(smoothed)


def exploded(smoothed: np.ndarray, factor: float = 4.0) -> bool:
    """True when the latest smoothed loss is not finite or above ``factor`` times the best so far."""
    last = smoothed[-1]
    return not math.isfinite(last) or last > factor * np.min(smoothed)


def suggest_lr(lrs: Any, losses: Any, *, beta: float = 0.9, factor: float = 4.0) -> float:
    """The learning rate at the minimum of the smoothed loss, divided by 10.

    The curve is cut where it explodes (smoothed loss above ``factor`` times the best, or not
    finite); the suggestion never falls below the first learning rate of the sweep. The moving
    average lags a few steps behind the raw curve (its minimum comes slightly late): one more
    reason for the safety margin of 10.
    """
    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    if len(lrs) != len(losses) or len(lrs) == 0:
        raise ValueError(f"need as many losses as learning rates (and some), got {len(lrs)} and {len(losses)}")
    smoothed = smooth_losses(losses, beta)
    end = len(smoothed)
    for i in range(1, len(smoothed) + 1):
        if exploded(smoothed[:i], factor):
            end = max(i - 1, 1)
            break
    best = int(np.argmin(smoothed[:end]))
    return float(max(lrs[best] / 10, lrs[0]))


def batch_indices(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Endless full batches of shuffled indices of ``n`` examples, reshuffled at each pass."""
    batch_size = min(batch_size, n)
    while True:
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start:start + batch_size]


def sweep(train_step: Callable[[float], float], lrs: Any, *, beta: float = 0.9,
          factor: float = 4.0) -> LRFinderResult:
    """Call ``train_step(lr)`` (one batch, returns its loss) for each rate until the loss explodes."""
    tried: list[float] = []
    losses: list[float] = []
    for lr in np.asarray(lrs, dtype=float):
        tried.append(float(lr))
        losses.append(float(train_step(float(lr))))
        if exploded(smooth_losses(losses, beta), factor):
            break
    return LRFinderResult(np.array(tried), np.array(losses), suggest_lr(tried, losses, beta=beta, factor=factor))
