"""Keras optimizers by name, with the hyperparameter names shared with :mod:`course.torch`."""

from __future__ import annotations

from typing import Any

import keras

from ..models import optimizer_hparams


def get_optimizer(name: str, lr: float = 1e-3, **hparams: Any) -> keras.optimizers.Optimizer:
    """``"sgd"``, ``"rmsprop"``, ``"adam"`` or ``"adamw"``; hyperparameters as in
    :data:`course.models.OPTIMIZERS` (``lr``, ``momentum``, ``nesterov``, ``rho``, ``beta_1``,
    ``beta_2``, ``eps``, ``weight_decay``)."""
    h = optimizer_hparams(name, lr, **hparams)
    name = name.lower()
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=h["lr"], momentum=h["momentum"], nesterov=h["nesterov"])
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=h["lr"], rho=h["rho"], momentum=h["momentum"],
                                        epsilon=h["eps"])
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=h["lr"], beta_1=h["beta_1"], beta_2=h["beta_2"],
                                     epsilon=h["eps"])
    return keras.optimizers.AdamW(learning_rate=h["lr"], weight_decay=h["weight_decay"], beta_1=h["beta_1"],
                                  beta_2=h["beta_2"], epsilon=h["eps"])
