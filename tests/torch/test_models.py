import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from course.models import INITIALIZERS, MLPConfig, count_params, layer_plan  # noqa: E402
from course.torch import (  # noqa: E402
    build_mlp,
    default_loss,
    describe_layers,
    fit,
    get_initializer,
    get_optimizer,
    initialize,  # noqa: E402
)
from course.torch import count_params as torch_count_params  # noqa: E402

from ..checks import assert_initializer_statistics  # noqa: E402
from ..small_data import digits  # noqa: E402


def test_build_mlp_follows_the_config():
    config = MLPConfig(input_shape=(8, 8), hidden=(32, 16), batch_norm=True, dropout=0.2, activation="selu")
    model = build_mlp(config)
    assert describe_layers(model) == layer_plan(config)[:-1]  # logits: no softmax module
    assert torch_count_params(model) == count_params(config)
    assert model.config == config
    out = model(torch.zeros(5, 8, 8))
    assert out.shape == (5, 10)


def test_leaky_relu_uses_keras_slope():
    model = build_mlp(MLPConfig(input_shape=(4,), hidden=(3,), activation="leaky_relu"))
    assert model[1](torch.tensor([-1.0])).item() == pytest.approx(-0.2)


def test_biases_start_at_zero():
    model = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(16, 8)))
    biases = [m.bias for m in model if isinstance(m, torch.nn.Linear)]
    assert all(torch.all(b == 0) for b in biases)


def test_seed_makes_the_weights_reproducible():
    config = MLPConfig(input_shape=(8, 8), hidden=(16,))
    a, b, c = build_mlp(config, seed=1), build_mlp(config, seed=1), build_mlp(config, seed=2)
    assert torch.equal(a[1].weight, b[1].weight) and not torch.equal(a[1].weight, c[1].weight)


@pytest.mark.parametrize("name", INITIALIZERS)
def test_initializer_statistics_match_the_formula(name):
    torch.manual_seed(0)
    fan_in, fan_out = 784, 300
    weight = get_initializer(name)(torch.empty(fan_out, fan_in))  # PyTorch layout: (out, in)
    w = weight.numpy()
    assert_initializer_statistics(w, name, fan_in, fan_out)


def test_initializer_takes_a_shape_as_in_keras_or_fills_a_tensor():
    init = get_initializer("he_normal", seed=3)
    new = init(shape=(300, 784))  # PyTorch layout: (out, in)
    assert new.shape == (300, 784) and new.dtype == torch.float32
    assert torch.equal(new, init((300, 784)))  # seeded: every call draws the same values, as in Keras
    assert not torch.equal(new, get_initializer("he_normal", seed=4)((300, 784)))
    weight = torch.empty(300, 784)
    assert init(weight) is weight and torch.equal(weight, new)  # a tensor is filled in place (as nn.init)
    torch.manual_seed(0)
    a = get_initializer("he_normal")((30, 20))
    torch.manual_seed(0)
    assert torch.equal(a, get_initializer("he_normal")((30, 20)))  # unseeded: torch's global generator


def test_initialize_draws_new_weights_and_zero_biases():
    model = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(16,)), seed=0)
    with torch.no_grad():
        model[1].bias.fill_(1.0)
    initialize(model, "zeros")
    assert all(torch.all(p == 0) for p in model.parameters())


@pytest.mark.parametrize("output_activation, n_outputs, loss", [
    ("softmax", 10, torch.nn.CrossEntropyLoss), ("sigmoid", 1, torch.nn.BCEWithLogitsLoss), (None, 1, torch.nn.MSELoss),
])
def test_default_loss_follows_the_model(output_activation, n_outputs, loss):
    model = build_mlp(MLPConfig(input_shape=(4,), hidden=(3,), n_outputs=n_outputs,
                                output_activation=output_activation))
    assert isinstance(default_loss(model), loss)


def test_build_mlp_uses_the_initializer_of_the_config():
    torch.manual_seed(0)
    model = build_mlp(MLPConfig(hidden=(300,), initializer="he_normal"))
    assert model[1].weight.std().item() == pytest.approx(math.sqrt(2 / 784), rel=0.02)


def test_zero_initialization_keeps_every_hidden_unit_identical():
    X, y = digits()
    model = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(8,), activation="sigmoid", initializer="zeros"))
    fit(model, (X, y), epochs=2, batch_size=32, optimizer="adam", lr=0.01, progress=False, seed=0)
    hidden, output = model[1].weight.detach().numpy(), model[3].weight.detach().numpy()
    assert np.abs(hidden).max() > 1e-3  # training did move the weights...
    assert np.allclose(hidden, hidden[:1], atol=1e-6)  # ...but every unit got the same incoming weights
    assert np.allclose(output, output[:, :1], atol=1e-6)  # and the same outgoing ones


@pytest.mark.parametrize("name, hparams, expected", [
    ("sgd", {"momentum": 0.9, "nesterov": True}, {"momentum": 0.9, "nesterov": True}),
    ("rmsprop", {"rho": 0.8}, {"alpha": 0.8, "eps": 1e-7}),
    ("adam", {"beta_2": 0.99}, {"betas": (0.9, 0.99), "eps": 1e-7}),
    ("adamw", {}, {"weight_decay": 0.01}),
])
def test_get_optimizer_translates_hyperparameter_names(name, hparams, expected):
    model = torch.nn.Linear(3, 2)
    group = get_optimizer(name, model, lr=0.05, **hparams).param_groups[0]
    assert group["lr"] == 0.05
    for key, value in expected.items():
        assert group[key] == pytest.approx(value)


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError):
        get_initializer("orthogonal")
    with pytest.raises(ValueError):
        get_optimizer("adam", torch.nn.Linear(2, 2), rho=0.9)
