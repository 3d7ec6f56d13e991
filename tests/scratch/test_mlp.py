import numpy as np
import pytest

from course.datasets import make_spirals, make_xor
from course.scratch import MLP, gradient_check, numerical_gradient


def _random_biases(model, seed=1):
    """Move every pre-activation off ReLU's kink at exactly 0 (biases start at 0)."""
    rng = np.random.default_rng(seed)
    for b in model.params[1::2]:
        b[:] = rng.normal(0, 0.5, b.shape)
    return model


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_gradient_check_binary(activation):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    model = _random_biases(MLP([3, 5, 4, 1], activation=activation))
    assert gradient_check(model, X, y) < 1e-6


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_gradient_check_softmax(activation):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    model = _random_biases(MLP([3, 5, 3], activation=activation, output="softmax"))
    assert gradient_check(model, X, y) < 1e-6


def test_gradient_check_catches_a_wrong_gradient():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    model = MLP([3, 4, 1], activation="tanh")
    good = model.gradients
    model.gradients = lambda X, y: [2 * g for g in good(X, y)]
    assert gradient_check(model, X, y) > 0.1


def test_params_gradients_and_outputs_have_matching_shapes():
    model = MLP([2, 4, 3, 1])
    assert [p.shape for p in model.params] == [(2, 4), (4,), (4, 3), (3,), (3, 1), (1,)]
    X, y = make_xor(8)
    grads = model.gradients(X, y)
    assert [g.shape for g in grads] == [p.shape for p in model.params]
    assert [g.shape for g in numerical_gradient(model, X, y)] == [p.shape for p in model.params]
    proba = model.predict_proba(X)
    assert proba.shape == (8, 1) and np.all((proba > 0) & (proba < 1))
    assert model.predict(X).shape == (8,)


def test_learns_xor():
    X, y = make_xor(4, noise=0)
    model = MLP([2, 4, 1], activation="sigmoid", seed=0).fit(X, y, lr=0.5, epochs=5000)
    np.testing.assert_array_equal(model.predict(X), y)
    assert len(model.loss_history_) == 5000
    assert model.loss_history_[-1] < model.loss_history_[0] / 10
    assert model.loss(X, y) == pytest.approx(model.loss_history_[-1], rel=0.01)


def test_softmax_minibatch_training_reduces_loss():
    X, y = make_spirals(150, classes=3, seed=0)
    model = MLP([2, 32, 3], activation="tanh", output="softmax", seed=0)
    before = model.loss(X, y)
    model.fit(X, y, lr=0.5, epochs=600, batch_size=32)
    assert model.loss(X, y) < before
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))
    assert (model.predict(X) == y).mean() > 0.6  # chance is 1/3


def test_same_seed_same_model():
    a, b = MLP([2, 3, 1], seed=7), MLP([2, 3, 1], seed=7)
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(p, q)


def test_rejects_bad_configuration():
    with pytest.raises(ValueError):
        MLP([2, 4, 1], activation="gelu")
    with pytest.raises(ValueError):
        MLP([2, 4, 1], output="softmax")
    with pytest.raises(ValueError):
        MLP([2, 3, 3], output="softmax").loss(np.zeros((2, 2)), np.array([0, 3]))
