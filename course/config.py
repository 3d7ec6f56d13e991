"""Fast mode: one switch (``COURSE_FAST=1``, set by CI) that shrinks data and epochs.

Notebooks ask ``budget(full=..., fast=...)`` for every size, so CI and a student run the very
same code path, only on less data.
"""

from __future__ import annotations

import os
from typing import TypeVar

import numpy as np

T = TypeVar("T")
ENV_FAST = "COURSE_FAST"


def fast_mode() -> bool:
    """True when ``COURSE_FAST`` is set to a true value (1, true, yes, on)."""
    return os.environ.get(ENV_FAST, "").strip().lower() in {"1", "true", "yes", "on"}


def budget(full: T, fast: T) -> T:
    """``fast`` in fast mode, ``full`` otherwise (epochs, sample counts, trials...)."""
    return fast if fast_mode() else full


def subset(X: np.ndarray, y: np.ndarray, n: int | None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random subset of ``n`` examples (all of them when ``n`` is None or too large)."""
    if n is None or n >= len(X):
        return X, y
    idx = np.random.default_rng(seed).choice(len(X), size=n, replace=False)
    idx.sort()
    return X[idx], y[idx]
