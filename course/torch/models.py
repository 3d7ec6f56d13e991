"""Build the MLP of an :class:`~course.models.MLPConfig` as an ``nn.Sequential`` (it returns logits)."""

from __future__ import annotations

import torch
from torch import nn

from ..models import BN_EPSILON, BN_MOMENTUM, LEAKY_RELU_SLOPE, MLPConfig
from .init import initialize

ACTIVATION_MODULES: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "elu": nn.ELU, "selu": nn.SELU, "gelu": nn.GELU, "silu": nn.SiLU,
    "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softplus": nn.Softplus, "leaky_relu": nn.LeakyReLU,
}


def _activation(name: str) -> nn.Module:
    if name == "leaky_relu":
        return nn.LeakyReLU(LEAKY_RELU_SLOPE)  # Keras' slope, not PyTorch's 0.01
    return ACTIVATION_MODULES[name]()


def build_mlp(config: MLPConfig, *, seed: int | None = None) -> nn.Sequential:
    """The network of ``config``: each hidden layer is Linear -> [BatchNorm1d] -> activation -> [Dropout].

    The output layer returns logits (no softmax/sigmoid module): the losses of :func:`fit` expect
    them, and :func:`predict_proba` turns them into probabilities. The config is kept as
    ``model.config`` (fit reads its task and its L1/L2 penalties). ``seed`` fixes the initial weights.
    """
    if seed is not None:
        torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Flatten()] if len(config.input_shape) > 1 else []
    fan_in = config.n_inputs
    for units in config.hidden:
        layers.append(nn.Linear(fan_in, units, bias=not config.batch_norm))
        if config.batch_norm:
            layers.append(nn.BatchNorm1d(units, momentum=1 - BN_MOMENTUM, eps=BN_EPSILON))
        layers.append(_activation(config.activation))
        if config.dropout > 0:
            layers.append(nn.Dropout(config.dropout))
        fan_in = units
    layers.append(nn.Linear(fan_in, config.n_outputs))
    model = nn.Sequential(*layers)
    initialize(model, config.initializer)
    setattr(model, "config", config)  # noqa: B010 (nn.Module types its attributes as tensors or modules)
    return model


def describe_layers(model: nn.Module) -> list[tuple]:
    """The layers in the vocabulary of :func:`course.models.layer_plan`."""
    names = {cls: name for name, cls in ACTIVATION_MODULES.items()}
    plan: list[tuple] = []
    for layer in model.children():
        if isinstance(layer, nn.Flatten):
            plan.append(("flatten",))
        elif isinstance(layer, nn.Linear):
            plan.append(("dense", layer.out_features, layer.bias is not None))
        elif isinstance(layer, nn.BatchNorm1d):
            plan.append(("batch_norm", layer.num_features))
        elif type(layer) in names:
            plan.append(("activation", names[type(layer)]))
        elif isinstance(layer, nn.Dropout):
            plan.append(("dropout", layer.p))
        else:
            plan.append((type(layer).__name__,))
    return plan


def count_params(model: nn.Module) -> int:
    """Parameters plus floating-point buffers (batch norm's running mean and variance), as
    Keras' ``count_params()`` counts them; batch norm's integer batch counter is left out."""
    params = sum(p.numel() for p in model.parameters())
    return params + sum(b.numel() for b in model.buffers() if b.is_floating_point())
