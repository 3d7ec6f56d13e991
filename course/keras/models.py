"""Build the MLP of an :class:`~course.models.MLPConfig` as a ``keras.Sequential``."""

from __future__ import annotations

import itertools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from ..models import BN_EPSILON, BN_MOMENTUM, INITIALIZERS, MLPConfig  # noqa: E402


def get_initializer(name: str, seed: int | None = None) -> keras.initializers.Initializer:
    """Keras' own initializer called ``name`` (see :data:`course.models.INITIALIZERS`).

    Call it with a shape in Keras' layout ``(n_in, n_out)``: ``get_initializer("he_normal", seed=0)(shape=(784, 300))``
    returns a new tensor. With a ``seed`` every call draws the same values.
    """
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}; expected one of: {', '.join(INITIALIZERS)}")
    if name == "zeros":
        return keras.initializers.Zeros()
    return type(keras.initializers.get(name))(seed=seed)


def dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    """Every ``Dense`` layer of ``model``, in order, looking inside nested models."""
    found = []
    for layer in getattr(model, "layers", []):
        found += [layer] if isinstance(layer, keras.layers.Dense) else dense_layers(layer)
    return found


def initialize(model: keras.Model, name: str) -> keras.Model:
    """Initialize every ``Dense`` layer of ``model`` again: kernels with ``name``, biases with zeros."""
    init = get_initializer(name)
    for layer in dense_layers(model):
        if not layer.built:
            raise ValueError("the model has no weights yet: build it (keras.Input or model.build) first")
        layer.kernel.assign(init(shape=tuple(layer.kernel.shape), dtype=layer.kernel.dtype))
        if layer.bias is not None:
            layer.bias.assign(keras.ops.zeros_like(layer.bias))
    return model


def _regularizer(config: MLPConfig) -> keras.regularizers.Regularizer | None:
    if config.l1 == 0 and config.l2 == 0:
        return None
    return keras.regularizers.L1L2(l1=config.l1, l2=config.l2)


def build_mlp(config: MLPConfig, *, seed: int | None = None) -> keras.Sequential:
    """The network of ``config``: each hidden layer is Dense -> [BatchNorm] -> activation -> [Dropout].

    Without batch norm the activation is part of the Dense layer, as usual in Keras. ``seed``
    makes the initial weights (and the dropout masks) reproducible.
    """
    seeds = itertools.count(seed) if seed is not None else itertools.repeat(None)

    layers: list = [keras.Input(shape=config.input_shape)]
    if len(config.input_shape) > 1:
        layers.append(keras.layers.Flatten())
    for units in config.hidden:
        dense = {"kernel_initializer": get_initializer(config.initializer, next(seeds)),
                 "kernel_regularizer": _regularizer(config)}
        if config.batch_norm:
            layers += [keras.layers.Dense(units, use_bias=False, **dense),
                       keras.layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON),
                       keras.layers.Activation(config.activation)]
        else:
            layers.append(keras.layers.Dense(units, activation=config.activation, **dense))
        if config.dropout > 0:
            layers.append(keras.layers.Dropout(config.dropout, seed=next(seeds)))
    layers.append(keras.layers.Dense(config.n_outputs, activation=config.output_activation,
                                     kernel_initializer=get_initializer(config.initializer, next(seeds)),
                                     kernel_regularizer=_regularizer(config)))
    return keras.Sequential(layers, name="mlp")


def describe_layers(model: keras.Model) -> list[tuple]:
    """The layers in the vocabulary of :func:`course.models.layer_plan` (a Dense layer with an
    activation counts as two entries: the Dense layer, then its activation)."""
    plan: list[tuple] = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Flatten):
            plan.append(("flatten",))
        elif isinstance(layer, keras.layers.Dense):
            plan.append(("dense", layer.units, layer.use_bias))
            if layer.activation.__name__ != "linear":
                plan.append(("activation", layer.activation.__name__))
        elif isinstance(layer, keras.layers.BatchNormalization):
            plan.append(("batch_norm", int(layer.moving_mean.shape[0])))
        elif isinstance(layer, keras.layers.Activation):
            plan.append(("activation", layer.activation.__name__))
        elif isinstance(layer, keras.layers.Dropout):
            plan.append(("dropout", layer.rate))
        else:
            plan.append((type(layer).__name__,))
    return plan


def count_params(model: keras.Model) -> int:
    """All the values the model stores, trainable or not (Keras' ``count_params()``)."""
    return int(model.count_params())
