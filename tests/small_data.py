"""scikit-learn's 8x8 digits, scaled to [0, 1]: small, offline data for the framework tests."""

from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.images / 16).astype("float32"), data.target


def digits(n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` images and labels."""
    X, y = _digits()
    return X[:n], y[:n]


def digits_split(n_train: int = 1200, n_valid: int | None = None) -> tuple[tuple, tuple]:
    """``(train, valid)``: the first ``n_train`` examples, then ``n_valid`` more (default: the rest)."""
    X, y = _digits()
    end = None if n_valid is None else n_train + n_valid
    return (X[:n_train], y[:n_train]), (X[n_train:end], y[n_train:end])
