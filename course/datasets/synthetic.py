"""Seeded 2-D toy problems for decision-boundary plots: xor, moons, circles, spirals.

Moons and circles are scikit-learn's generators; xor and spirals have none there.
"""

from __future__ import annotations

import numpy as np

from .images import XY


def make_xor(n: int = 200, noise: float = 0.1, seed: int = 0) -> XY:
    """Four Gaussian blobs at the corners of the unit square labelled by XOR of their corner.

    ``n=4, noise=0`` gives exactly the truth table ``[[0,0],[0,1],[1,0],[1,1]] -> [0,1,1,0]``.
    """
    rng = np.random.default_rng(seed)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    idx = np.arange(n) % 4
    X = corners[idx] + noise * rng.standard_normal((n, 2))
    y = (corners[idx, 0] != corners[idx, 1]).astype(np.int64)
    return XY(X, y)


def make_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> XY:
    """Two interleaving half circles: scikit-learn's ``make_moons`` (shuffled, seeded), as an ``XY``."""
    from sklearn.datasets import make_moons as _sk_moons

    X, y = _sk_moons(n_samples=n, noise=noise, random_state=seed)
    return XY(X, y.astype(np.int64))


def make_circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> XY:
    """A small circle (label 1) inside a large one (label 0): scikit-learn's ``make_circles``
    (shuffled, seeded), as an ``XY``."""
    from sklearn.datasets import make_circles as _sk_circles

    X, y = _sk_circles(n_samples=n, noise=noise, factor=factor, random_state=seed)
    return XY(X, y.astype(np.int64))


def make_spirals(n: int = 300, classes: int = 2, noise: float = 0.2, turns: float = 1.5, seed: int = 0) -> XY:
    """``classes`` interleaved spiral arms (cs231n's classic), ``n`` points in all."""
    rng = np.random.default_rng(seed)
    label = np.arange(n) % classes
    r = rng.uniform(0.05, 1.0, n)
    theta = 2 * np.pi * (turns * r + label / classes) + noise * rng.standard_normal(n) * r
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return XY(X, label.astype(np.int64))
