"""The configuration alone, then the promise it makes: both frameworks build the same network."""

import json
import math

import numpy as np
import pytest

from course.models import (
    INITIALIZERS,
    OPTIMIZERS,
    MLPConfig,
    count_params,
    layer_plan,
    optimizer_hparams,
    task_for,
)

CONFIGS = [
    MLPConfig(),
    MLPConfig(input_shape=(8, 8), hidden=(32, 16), activation="elu", dropout=0.25),
    MLPConfig(input_shape=(64,), hidden=(20,), batch_norm=True, activation="leaky_relu"),
    MLPConfig(input_shape=(8, 8), hidden=(16, 16, 8), batch_norm=True, dropout=0.1, l2=1e-3, activation="gelu"),
    MLPConfig(input_shape=(10,), hidden=(5,), n_outputs=1, output_activation=None, activation="tanh"),
    MLPConfig(input_shape=(10,), hidden=(), n_outputs=1, output_activation="sigmoid"),
    MLPConfig(input_shape=(3, 4, 2), hidden=(7,), n_outputs=4, output_activation=None, activation="silu"),
]


# ----------------------------------------------------------------------------- the config itself

@pytest.mark.parametrize("config", CONFIGS)
def test_config_survives_a_json_round_trip(config):
    text = json.dumps(config.to_dict())
    assert MLPConfig.from_dict(json.loads(text)) == config
    assert MLPConfig.from_json(config.to_json()) == config


def test_config_normalizes_its_fields():
    config = MLPConfig(input_shape=[64], hidden=[10, 5], activation="swish", output_activation="linear")
    assert config.input_shape == (64,) and config.hidden == (10, 5)
    assert config.activation == "silu" and config.output_activation is None
    assert MLPConfig(input_shape=12).input_shape == (12,)


@pytest.mark.parametrize("bad", [
    {"activation": "relu6"}, {"initializer": "orthogonal"}, {"output_activation": "tanh"},
    {"dropout": 1.0}, {"dropout": -0.1}, {"l2": -1.0}, {"n_outputs": 0}, {"hidden": (10, 0)},
    {"input_shape": ()}, {"hidden": "100"},
])
def test_config_rejects_invalid_values(bad):
    with pytest.raises(ValueError):
        MLPConfig(**bad)


def test_from_dict_rejects_unknown_keys_and_fills_missing_ones():
    with pytest.raises(ValueError, match="hiden"):
        MLPConfig.from_dict({"hiden": [10]})
    assert MLPConfig.from_dict({"hidden": [10]}) == MLPConfig(hidden=(10,))


@pytest.mark.parametrize("n_outputs, activation, task", [
    (10, "softmax", "multiclass"), (10, None, "multiclass"), (1, "sigmoid", "binary"),
    (3, "sigmoid", "binary"), (1, None, "regression"),
])
def test_task_follows_the_output_layer(n_outputs, activation, task):
    assert task_for(n_outputs, activation) == task
    assert MLPConfig(n_outputs=n_outputs, output_activation=activation).task == task


def test_layer_plan_and_parameter_count_of_a_small_network():
    config = MLPConfig(input_shape=(2, 2), hidden=(3,), batch_norm=True, dropout=0.5, n_outputs=2)
    assert layer_plan(config) == [("flatten",), ("dense", 3, False), ("batch_norm", 3), ("activation", "relu"),
                                  ("dropout", 0.5), ("dense", 2, True), ("activation", "softmax")]
    # 4*3 weights (no bias before batch norm) + 4*3 batch-norm values + 3*2 + 2 output
    assert count_params(config) == 12 + 12 + 6 + 2
    plain = MLPConfig(input_shape=(4,), hidden=(3,), n_outputs=1, output_activation=None)
    assert layer_plan(plain)[0] == ("dense", 3, True) and count_params(plain) == 4 * 3 + 3 + 3 + 1


@pytest.mark.parametrize("name", INITIALIZERS)
def test_initializer_specs_follow_keras_formulas(name):
    spec = INITIALIZERS[name]
    fan_in, fan_out = 784, 300
    expected = {
        "zeros": 0.0, "random_normal": 0.05, "random_uniform": 0.1 / math.sqrt(12),
        "glorot_uniform": math.sqrt(2 / (fan_in + fan_out)), "glorot_normal": math.sqrt(2 / (fan_in + fan_out)),
        "he_uniform": math.sqrt(2 / fan_in), "he_normal": math.sqrt(2 / fan_in),
        "lecun_uniform": math.sqrt(1 / fan_in), "lecun_normal": math.sqrt(1 / fan_in),
    }[name]
    assert spec.target_std(fan_in, fan_out) == pytest.approx(expected)


def test_optimizer_hparams_fill_defaults_and_reject_unknown_names():
    assert optimizer_hparams("sgd", lr=0.1, momentum=0.9) == {"lr": 0.1, "momentum": 0.9, "nesterov": False}
    assert optimizer_hparams("ADAM")["eps"] == OPTIMIZERS["adam"]["eps"]
    with pytest.raises(ValueError, match="beta_1"):
        optimizer_hparams("sgd", beta_1=0.9)
    with pytest.raises(ValueError, match="momentum"):
        optimizer_hparams("sgd", nesterov=True)
    with pytest.raises(ValueError):
        optimizer_hparams("adagrad")
    with pytest.raises(ValueError):
        optimizer_hparams("adam", lr=0.0)


# ----------------------------------------------------------------------------- both frameworks agree

@pytest.fixture(scope="module")
def K():
    pytest.importorskip("keras")
    import course.keras

    return course.keras


@pytest.fixture(scope="module")
def T():
    pytest.importorskip("torch")
    import course.torch

    return course.torch


@pytest.mark.parametrize("config", CONFIGS)
def test_builders_agree_on_layers_and_parameter_count(config, K, T):
    keras_model, torch_model = K.build_mlp(config), T.build_mlp(config)
    plan = layer_plan(config)
    assert K.describe_layers(keras_model) == plan
    # PyTorch's model returns logits: the same layers without the output activation
    without_output_activation = plan[:-1] if config.output_activation else plan
    assert T.describe_layers(torch_model) == without_output_activation
    assert K.count_params(keras_model) == T.count_params(torch_model) == count_params(config)


@pytest.mark.parametrize("config", CONFIGS[1:4])
def test_a_config_rebuilt_from_json_has_the_same_size(config, K, T):
    again = MLPConfig.from_json(config.to_json())
    assert K.count_params(K.build_mlp(again)) == T.count_params(T.build_mlp(config))


# normalized name -> (Keras config key, PyTorch param_group key, how to read the PyTorch value)
READBACK = {
    "lr": ("learning_rate", lambda g: g["lr"]),
    "momentum": ("momentum", lambda g: g["momentum"]),
    "nesterov": ("nesterov", lambda g: g["nesterov"]),
    "rho": ("rho", lambda g: g["alpha"]),
    "eps": ("epsilon", lambda g: g["eps"]),
    "beta_1": ("beta_1", lambda g: g["betas"][0]),
    "beta_2": ("beta_2", lambda g: g["betas"][1]),
    "weight_decay": ("weight_decay", lambda g: g["weight_decay"]),
}
CUSTOM = {"momentum": 0.5, "nesterov": True, "rho": 0.8, "eps": 1e-6, "beta_1": 0.8, "beta_2": 0.99,
          "weight_decay": 0.05}


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("custom", [False, True], ids=["defaults", "custom"])
def test_every_optimizer_gets_the_same_hyperparameters_in_both(name, custom, K, T):
    import torch

    hparams = {k: v for k, v in CUSTOM.items() if k in OPTIMIZERS[name]} if custom else {}
    expected = optimizer_hparams(name, lr=0.02, **hparams)
    keras_config = K.get_optimizer(name, lr=0.02, **hparams).get_config()
    group = T.get_optimizer(name, torch.nn.Linear(2, 2), lr=0.02, **hparams).param_groups[0]
    for key, value in expected.items():
        keras_key, torch_value = READBACK[key]
        assert keras_config[keras_key] == pytest.approx(value, rel=1e-6), key
        assert torch_value(group) == pytest.approx(value, rel=1e-6), key


def _digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    X, y = (digits.images / 16).astype("float32")[:600], digits.target[:600]
    return (X[:400], y[:400]), (X[400:], y[400:])


@pytest.mark.parametrize("config, with_valid", [
    (MLPConfig(input_shape=(8, 8), hidden=(16,)), True),
    (MLPConfig(input_shape=(8, 8), hidden=(16,)), False),
    (MLPConfig(input_shape=(8, 8), hidden=(16,), n_outputs=1, output_activation=None), True),
    (MLPConfig(input_shape=(8, 8), hidden=(16,), n_outputs=1, output_activation="sigmoid"), True),
])
def test_history_has_the_same_keys_in_both(config, with_valid, K, T):
    train, valid = _digits()
    if config.task == "binary":
        train, valid = (train[0], train[1] % 2), (valid[0], valid[1] % 2)
    elif config.task == "regression":
        train, valid = (train[0], train[1].astype("float32")), (valid[0], valid[1].astype("float32"))
    valid = valid if with_valid else None
    args = {"epochs": 2, "batch_size": 64, "optimizer": "sgd", "lr": 0.01, "seed": 0}
    keras_history = K.fit(K.build_mlp(config), train, valid, progress=False, **args)
    torch_history = T.fit(T.build_mlp(config), train, valid, progress=False, **args)
    assert set(keras_history.history) == set(torch_history.history)
    assert "lr" in torch_history.history and ("val_loss" in torch_history.history) == with_valid
    assert ("accuracy" in torch_history.history) == (config.task != "regression")
    assert keras_history.epoch == torch_history.epoch == [0, 1]
    assert np.all(np.isfinite(torch_history.history["loss"]))
