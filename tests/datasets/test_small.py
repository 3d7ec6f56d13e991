import numpy as np
import pytest

from course.datasets import load_iris, load_regression, make_circles, make_moons, make_spirals, make_xor


def test_iris_perceptron_variant():
    X, y = load_iris(setosa_vs_rest=True, petal_only=True)
    assert X.shape == (150, 2) and set(np.unique(y)) == {0, 1} and y.sum() == 50
    # setosa's petals are all shorter than the others': linearly separable
    assert X[y == 1, 0].max() < X[y == 0, 0].min()


def test_regression_splits_are_disjoint_and_standardized():
    (Xtr, ytr), (Xva, yva), (Xte, yte) = load_regression()
    assert len(Xtr) + len(Xva) + len(Xte) == 442
    assert np.allclose(Xtr.mean(axis=0), 0, atol=1e-5)
    assert ytr.dtype == np.float32


def test_xor_truth_table():
    X, y = make_xor(n=4, noise=0)
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize("make", [make_xor, make_moons, make_circles, make_spirals])
def test_synthetic_sets_are_seeded_and_balanced(make):
    a, b, c = make(n=200, seed=1), make(n=200, seed=1), make(n=200, seed=2)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    assert a.X.shape == (200, 2) and np.bincount(a.y).tolist() == [100, 100]


def test_moons_and_circles_are_scikit_learns():
    from sklearn import datasets

    X, y = datasets.make_moons(n_samples=50, noise=0.2, random_state=3)
    moons = make_moons(n=50, noise=0.2, seed=3)
    np.testing.assert_array_equal(moons.X, X)
    np.testing.assert_array_equal(moons.y, y)
    assert moons.y.dtype == np.int64
    X, y = datasets.make_circles(n_samples=50, noise=0.1, factor=0.3, random_state=3)
    circles = make_circles(n=50, noise=0.1, factor=0.3, seed=3)
    np.testing.assert_array_equal(circles.X, X)
    assert (circles.y == 1).sum() == 25 and np.abs(circles.X[circles.y == 1]).max() < 0.7  # label 1: the small one
