"""Rosenblatt's perceptron (1958) in NumPy: a linear threshold unit and its learning rule.

>>> from course.datasets import load_iris
>>> X, y = load_iris(setosa_vs_rest=True, petal_only=True)
>>> p = Perceptron().fit(X, y)
>>> p.converged_, p.errors_[-1]
(True, 0)
"""

from __future__ import annotations

import numpy as np

STEPS = ("heaviside", "sign")


class Perceptron:
    """A single neuron ``step(w . x + b)`` trained with Rosenblatt's rule.

    On each misclassified example the weights move towards it (positive class) or away from it
    (negative class): ``w += lr * t * x`` and ``b += lr * t`` with ``t = +1`` or ``-1``.
    Correct examples change nothing. Training stops as soon as an epoch makes no error.

    ``step="heaviside"`` expects labels {0, 1}; ``step="sign"`` expects labels {-1, 1}.
    ``shuffle`` visits the examples in a new random order (seeded by ``seed``) every epoch.
    """

    def __init__(self, lr: float = 1.0, epochs: int = 50, step: str = "heaviside",
                 shuffle: bool = True, seed: int = 0) -> None:
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}; expected one of {STEPS}")
        self.lr = lr
        self.epochs = epochs
        self.step = step
        self.shuffle = shuffle
        self.seed = seed

    @property
    def _labels(self) -> tuple[int, int]:
        """(negative, positive) labels for the chosen step."""
        return (0, 1) if self.step == "heaviside" else (-1, 1)

    def fit(self, X: np.ndarray, y: np.ndarray) -> "Perceptron":
        """Learn ``w_`` and ``b_``; ``errors_`` counts the misclassifications of each epoch."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y).ravel()
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"expected X of shape (n, d) and y of shape (n,), got {X.shape} and {y.shape}")
        negative, positive = self._labels
        if not np.isin(y, [negative, positive]).all():
            raise ValueError(f"step={self.step!r} needs labels {{{negative}, {positive}}}, got {np.unique(y)}")

        rng = np.random.default_rng(self.seed)
        self.w_ = np.zeros(X.shape[1])
        self.b_ = 0.0
        self.errors_: list[int] = []
        self.converged_ = False
        for _ in range(self.epochs):
            order = rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
            errors = 0
            for i in order:
                if self.predict(X[i:i + 1])[0] != y[i]:
                    t = 1.0 if y[i] == positive else -1.0
                    self.w_ += self.lr * t * X[i]
                    self.b_ += self.lr * t
                    errors += 1
            self.errors_.append(errors)
            if errors == 0:
                self.converged_ = True
                break
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The net input ``X @ w + b`` (its sign gives the class)."""
        return np.asarray(X, dtype=np.float64) @ self.w_ + self.b_

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Labels: the positive one where the net input is >= 0."""
        negative, positive = self._labels
        return np.where(self.decision_function(X) >= 0, positive, negative)
