import numpy as np
import pytest

from course.datasets import load_iris, make_xor
from course.scratch import Perceptron


def test_converges_on_setosa_vs_rest():
    X, y = load_iris(setosa_vs_rest=True, petal_only=True)
    p = Perceptron(epochs=50, seed=0).fit(X, y)
    assert p.converged_
    assert p.errors_[-1] == 0 and len(p.errors_) < 50
    np.testing.assert_array_equal(p.predict(X), y)
    assert p.w_.shape == (2,)
    # decision_function is the net input, and its sign gives the class
    np.testing.assert_allclose(p.decision_function(X), X @ p.w_ + p.b_)


def test_sign_step_uses_minus_one_and_one():
    X, y = load_iris(setosa_vs_rest=True, petal_only=True)
    y_pm = np.where(y == 1, 1, -1)
    p = Perceptron(step="sign", shuffle=False).fit(X, y_pm)
    assert p.converged_
    assert set(np.unique(p.predict(X))) == {-1, 1}
    np.testing.assert_array_equal(p.predict(X), y_pm)


def test_cannot_fit_xor():
    X, y = make_xor(4, noise=0)
    p = Perceptron(epochs=100).fit(X, y)
    assert not p.converged_
    assert len(p.errors_) == 100 and min(p.errors_) > 0


def test_rejects_labels_of_the_other_step():
    X, y = make_xor(4, noise=0)
    with pytest.raises(ValueError, match="labels"):
        Perceptron(step="sign").fit(X, y)
    with pytest.raises(ValueError, match="unknown step"):
        Perceptron(step="relu")
