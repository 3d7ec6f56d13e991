"""Small tabular datasets bundled with scikit-learn (always offline)."""

from __future__ import annotations

import numpy as np

from .images import XY, Splits

IRIS_CLASSES = ("setosa", "versicolor", "virginica")
PERCEPTRON_FEATURES = ("petal length (cm)", "petal width (cm)")


def load_iris(setosa_vs_rest: bool = False, petal_only: bool = False) -> XY:
    """Iris as ``(X, y)``.

    ``load_iris(setosa_vs_rest=True, petal_only=True)`` is the perceptron's variant: petal
    length and width, label 1 for setosa and 0 for the rest (a linearly separable problem).
    """
    from sklearn.datasets import load_iris as _sk_iris

    iris = _sk_iris()
    X, y = iris.data.astype(np.float64), iris.target.astype(np.int64)
    if petal_only:
        X = X[:, [iris.feature_names.index(f) for f in PERCEPTRON_FEATURES]]
    if setosa_vs_rest:
        y = (y == 0).astype(np.int64)
    return XY(X, y)


def load_regression(validation: float = 0.2, test: float = 0.2, seed: int = 42,
                    standardize: bool = True) -> Splits:
    """A regression set that works offline: scikit-learn's diabetes data (442 patients, 10 features).

    Splits are shuffled with ``seed``; with ``standardize`` the features are scaled with the
    training split's mean and standard deviation (no leakage from validation or test).
    """
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    X, y = data.data.astype(np.float32), data.target.astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(X))
    n_test, n_valid = int(round(test * len(X))), int(round(validation * len(X)))
    test_idx, valid_idx, train_idx = np.split(order, [n_test, n_test + n_valid])
    if standardize:
        mean, std = X[train_idx].mean(axis=0), X[train_idx].std(axis=0) + 1e-8
        X = (X - mean) / std
    return Splits(XY(X[train_idx], y[train_idx]), XY(X[valid_idx], y[valid_idx]), XY(X[test_idx], y[test_idx]))
