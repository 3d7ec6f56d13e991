import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course.keras import (  # noqa: E402
    build_mlp,
    default_loss,
    describe_layers,
    fit,
    get_initializer,
    get_optimizer,
    initialize,  # noqa: E402
)
from course.keras import count_params as keras_count_params  # noqa: E402
from course.models import INITIALIZERS, MLPConfig, count_params, layer_plan  # noqa: E402

from ..checks import assert_initializer_statistics  # noqa: E402
from ..small_data import digits  # noqa: E402


def test_build_mlp_follows_the_config():
    config = MLPConfig(input_shape=(8, 8), hidden=(32, 16), batch_norm=True, dropout=0.2, activation="selu", l1=1e-4)
    model = build_mlp(config)
    assert describe_layers(model) == layer_plan(config)
    assert keras_count_params(model) == count_params(config)
    out = model.predict(np.zeros((5, 8, 8), "float32"), verbose=0)
    assert out.shape == (5, 10) and np.allclose(out.sum(axis=1), 1, atol=1e-5)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert all(layer.kernel_regularizer is not None for layer in dense)


def test_seed_makes_the_weights_reproducible():
    config = MLPConfig(input_shape=(8, 8), hidden=(16,))
    a, b, c = (build_mlp(config, seed=s).get_weights()[0] for s in (1, 1, 2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("name", INITIALIZERS)
def test_initializer_statistics_match_the_formula(name):
    fan_in, fan_out = 784, 300
    w = keras.ops.convert_to_numpy(get_initializer(name, seed=0)(shape=(fan_in, fan_out)))  # Keras: (in, out)
    assert_initializer_statistics(w, name, fan_in, fan_out)


def test_initialize_draws_new_weights_and_zero_biases():
    model = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(300,)), seed=0)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    dense[0].bias.assign(np.ones(300, "float32"))
    assert initialize(model, "zeros") is model
    assert all(not np.any(w) for w in model.get_weights())
    initialize(model, "he_normal")
    kernel, bias = dense[0].get_weights()
    assert kernel.std() == pytest.approx(math.sqrt(2 / 64), rel=0.05) and not np.any(bias)


@pytest.mark.parametrize("output_activation, n_outputs, loss", [
    ("softmax", 10, "sparse_categorical_crossentropy"), ("sigmoid", 1, "binary_crossentropy"), (None, 1, "mse"),
])
def test_default_loss_follows_the_model(output_activation, n_outputs, loss):
    model = build_mlp(MLPConfig(input_shape=(4,), hidden=(3,), n_outputs=n_outputs,
                                output_activation=output_activation))
    assert default_loss(model) == loss


def test_build_mlp_uses_the_initializer_of_the_config():
    model = build_mlp(MLPConfig(hidden=(300,), initializer="he_normal"), seed=0)
    kernel, bias = model.layers[1].get_weights()
    assert kernel.std() == pytest.approx(math.sqrt(2 / 784), rel=0.02) and np.all(bias == 0)


def test_zero_initialization_keeps_every_hidden_unit_identical():
    X, y = digits()
    model = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(8,), activation="sigmoid", initializer="zeros"))
    fit(model, (X, y), epochs=2, batch_size=32, optimizer="adam", lr=0.01, progress=False, seed=0)
    hidden, output = model.layers[1].get_weights()[0], model.layers[2].get_weights()[0]
    assert np.abs(hidden).max() > 1e-3  # training did move the weights...
    assert np.allclose(hidden, hidden[:, :1], atol=1e-6)  # ...but every unit got the same incoming weights
    assert np.allclose(output, output[:1], atol=1e-6)  # and the same outgoing ones


@pytest.mark.parametrize("name, hparams, expected", [
    ("sgd", {"momentum": 0.9, "nesterov": True}, {"momentum": 0.9, "nesterov": True}),
    ("rmsprop", {"rho": 0.8}, {"rho": 0.8, "epsilon": 1e-7}),
    ("adam", {"beta_2": 0.99}, {"beta_1": 0.9, "beta_2": 0.99, "epsilon": 1e-7}),
    ("adamw", {}, {"weight_decay": 0.01}),
])
def test_get_optimizer_translates_hyperparameter_names(name, hparams, expected):
    config = get_optimizer(name, lr=0.05, **hparams).get_config()
    assert config["learning_rate"] == pytest.approx(0.05)
    for key, value in expected.items():
        assert config[key] == pytest.approx(value)


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError):
        get_initializer("orthogonal")
    with pytest.raises(ValueError):
        get_optimizer("sgd", beta_1=0.9)
