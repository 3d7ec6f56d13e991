"""Hyperparameter search for the Keras MLP with keras-tuner.

Two ways, as in the course:

- :func:`build_model` (``hp -> compiled model``): the network and the optimizer are searched;
  give it to any tuner.
- :class:`MLPHyperModel`: the same, plus the preprocessing (divide by 255, or standardize with
  a ``Normalization`` layer adapted to the training data) and the batch size, chosen in
  :meth:`MLPHyperModel.fit`.

>>> tuner = kt.RandomSearch(MLPHyperModel(), objective="val_accuracy", max_trials=20,
...                         directory="busqueda", project_name="mlp")
>>> tuner.search(X_train_raw, y_train, validation_data=(X_valid_raw, y_valid), epochs=10)

Every network is built by :func:`course.keras.build_mlp` from an :class:`~course.models.MLPConfig`,
so the best one can be rebuilt in PyTorch too: ``mlp_config(tuner.get_best_hyperparameters()[0])``.
"""

from __future__ import annotations

from typing import Any

import keras
import keras_tuner as kt

from .. import tuning as space
from ..models import MLPConfig
from .models import build_mlp
from .optim import get_optimizer
from .training import default_loss

# The search space: the one of course.tuning, shared with course.torch.tuning.
ACTIVATIONS, OPTIMIZERS, BATCH_SIZES = space.ACTIVATIONS, space.OPTIMIZERS, space.BATCH_SIZES
PREPROCESSING, MAX_LAYERS, INITIALIZER_FOR = space.PREPROCESSING, space.MAX_LAYERS, space.INITIALIZER_FOR


def mlp_config(hp: kt.HyperParameters, input_shape: tuple[int, ...] = (28, 28), n_outputs: int = 10) -> MLPConfig:
    """The network chosen by ``hp`` (the space of :mod:`course.tuning`): 1 to 3 hidden layers of
    32 to 512 units, activation, dropout and batch norm (a classifier with a softmax output)."""
    n_layers = hp.Int("n_layers", 1, MAX_LAYERS)
    low, high, step = space.UNITS
    hidden = tuple(hp.Int(f"units_{i}", low, high, step=step) for i in range(n_layers))
    activation = hp.Choice("activation", list(ACTIVATIONS))
    return MLPConfig(input_shape=input_shape, hidden=hidden, activation=activation,
                     initializer=INITIALIZER_FOR.get(activation, "glorot_uniform"),
                     dropout=hp.Float("dropout", *space.DROPOUT[:2], step=space.DROPOUT[2]),
                     batch_norm=hp.Boolean("batch_norm"),
                     n_outputs=n_outputs, output_activation="softmax")


def make_optimizer(hp: kt.HyperParameters) -> keras.optimizers.Optimizer:
    """The optimizer chosen by ``hp``: its name, and a learning rate drawn log-uniformly in
    [1e-4, 1e-2] (SGD with Nesterov momentum 0.9)."""
    name = hp.Choice("optimizer", list(OPTIMIZERS))
    lr = hp.Float("lr", *space.LR, sampling="log")
    return get_optimizer(name, lr=lr, **space.optimizer_hparams(name))


def _compile(model: keras.Model, mlp: keras.Model, hp: kt.HyperParameters) -> keras.Model:
    model.compile(optimizer=make_optimizer(hp), loss=default_loss(mlp), metrics=["accuracy"])
    return model


def build_model(hp: kt.HyperParameters, input_shape: tuple[int, ...] = (28, 28), n_outputs: int = 10) -> keras.Model:
    """A compiled MLP for keras-tuner (``kt.RandomSearch(build_model, ...)``); inputs already scaled.

    For other shapes: ``functools.partial(build_model, input_shape=(8, 8))``.
    """
    model = build_mlp(mlp_config(hp, input_shape, n_outputs))
    return _compile(model, model, hp)


class MLPHyperModel(kt.HyperModel):
    """:func:`build_model` plus two hyperparameters of the data: ``preprocessing`` and ``batch_size``.

    It takes raw inputs (pixels from 0 to ``max_value``, e.g. ``load_fashion_mnist(normalize=False)``):
    ``"rescale"`` divides them by ``max_value``; ``"standardize"`` subtracts their mean and divides
    by their standard deviation, a ``Normalization`` layer adapted to the training data in :meth:`fit`.
    """

    def __init__(self, input_shape: tuple[int, ...] = (28, 28), n_outputs: int = 10, max_value: float = 255.0,
                 name: str | None = None, tunable: bool = True) -> None:
        super().__init__(name=name, tunable=tunable)
        self.input_shape = tuple(input_shape)
        self.n_outputs = n_outputs
        self.max_value = float(max_value)

    def build(self, hp: kt.HyperParameters) -> keras.Model:
        if hp.Choice("preprocessing", list(PREPROCESSING)) == "rescale":
            preprocessing = keras.layers.Rescaling(1.0 / self.max_value, name="rescale")
        else:
            preprocessing = keras.layers.Normalization(axis=None, name="standardize")
        mlp = build_mlp(mlp_config(hp, self.input_shape, self.n_outputs))
        # One flat Sequential (not a model inside a model), so course.keras.predict etc. work on it.
        model = keras.Sequential([keras.Input(shape=self.input_shape), preprocessing, *mlp.layers],
                                 name="mlp_tuned")
        return _compile(model, mlp, hp)

    def fit(self, hp: kt.HyperParameters, model: keras.Model, x: Any, y: Any = None, **kwargs: Any) -> Any:
        """Adapt the standardization to ``x`` (if chosen) and train with the chosen batch size."""
        kwargs["batch_size"] = hp.Choice("batch_size", list(BATCH_SIZES))
        for layer in model.layers:
            if isinstance(layer, keras.layers.Normalization):
                layer.adapt(x)
        return model.fit(x, y, **kwargs)
