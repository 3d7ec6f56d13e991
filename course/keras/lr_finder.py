"""The learning-rate finder for Keras models (see :mod:`course.lr_finder`)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from ..lr_finder import LRFinderResult, batch_indices, exponential_lrs, sweep
from .optim import get_optimizer
from .training import default_loss


def lr_find(model: keras.Model, X: Any, y: Any, *, start_lr: float = 1e-5, end_lr: float = 10.0,
            steps: int = 200, batch_size: int = 64, optimizer: str = "sgd",
            seed: int | None = None) -> LRFinderResult:
    """Train one batch per learning rate, from ``start_lr`` up to ``end_lr`` (exponentially), until
    the loss explodes; return the rates, the losses and the suggested rate.

    The sweep trains a copy of ``model``: the model itself (its weights, its compiled optimizer)
    is left exactly as it was.
    """
    trial = keras.models.clone_model(model)
    trial.set_weights(model.get_weights())
    trial.compile(optimizer=get_optimizer(optimizer, lr=start_lr), loss=default_loss(model))
    X, y = np.asarray(X), np.asarray(y)
    batches = batch_indices(len(X), batch_size, np.random.default_rng(seed))

    def train_step(lr: float) -> float:
        trial.optimizer.learning_rate = lr
        idx = next(batches)
        return float(trial.train_on_batch(X[idx], y[idx], return_dict=True)["loss"])

    return sweep(train_step, exponential_lrs(start_lr, end_lr, steps))
