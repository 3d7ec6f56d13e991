"""Assertions shared by the Keras and PyTorch tests."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course.models import INITIALIZERS


def assert_initializer_statistics(w: np.ndarray, name: str, fan_in: int, fan_out: int) -> None:
    """``w`` drawn by initializer ``name`` has the mean, std and bound of its formula."""
    spec = INITIALIZERS[name]
    std, bound = spec.target_std(fan_in, fan_out), spec.bound(fan_in, fan_out)
    if name == "zeros":
        assert np.all(w == 0)
        return
    assert abs(w.mean()) < 0.01 * std
    assert w.std() == pytest.approx(std, rel=0.02)
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    if math.isfinite(bound):  # uniform and truncated normals reach (close to) their bounds
        assert np.abs(w).max() > 0.95 * bound
