"""Hyperparameter search for the PyTorch MLP with Optuna.

:func:`make_objective` returns the function Optuna maximizes: it builds an MLP from the
hyperparameters a trial suggests, trains it with :func:`course.torch.fit`, reports the
validation accuracy after every epoch and lets the study's pruner stop the bad trials early.

>>> study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner())
>>> study.optimize(make_objective(data.train, data.valid, epochs=10), n_trials=30)
>>> config = suggest_config(optuna.trial.FixedTrial(study.best_params), (28, 28))

Optuna is only imported when an objective runs, so ``import course.torch`` does not need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import torch

from .. import tuning as space
from ..models import MLPConfig
from .models import build_mlp
from .optim import get_optimizer
from .training import fit

if TYPE_CHECKING:
    import optuna

# The search space: the one of course.tuning, shared with course.keras.tuning (without its
# "preprocessing": the objective takes inputs already scaled).
ACTIVATIONS, OPTIMIZERS, BATCH_SIZES = space.ACTIVATIONS, space.OPTIMIZERS, space.BATCH_SIZES
MAX_LAYERS, INITIALIZER_FOR = space.MAX_LAYERS, space.INITIALIZER_FOR


def suggest_config(trial: optuna.Trial, input_shape: tuple[int, ...], n_outputs: int = 10) -> MLPConfig:
    """The network a trial suggests (the space of :mod:`course.tuning`): 1 to 3 hidden layers of
    32 to 512 units, activation, dropout and batch norm (a classifier)."""
    n_layers = trial.suggest_int("n_layers", 1, MAX_LAYERS)
    low, high, step = space.UNITS
    hidden = tuple(trial.suggest_int(f"units_{i}", low, high, step=step) for i in range(n_layers))
    activation = trial.suggest_categorical("activation", list(ACTIVATIONS))
    return MLPConfig(input_shape=tuple(input_shape), hidden=hidden, activation=activation,
                     initializer=INITIALIZER_FOR.get(activation, "glorot_uniform"),
                     dropout=trial.suggest_float("dropout", *space.DROPOUT[:2], step=space.DROPOUT[2]),
                     batch_norm=trial.suggest_categorical("batch_norm", [False, True]),
                     n_outputs=n_outputs, output_activation="softmax")


def suggest_training(trial: optuna.Trial) -> dict[str, Any]:
    """The training a trial suggests: optimizer, learning rate (log-uniform in [1e-4, 1e-2]) and
    batch size, as ``{"optimizer", "lr", "batch_size", "hparams"}`` (SGD gets Nesterov momentum 0.9)."""
    name = trial.suggest_categorical("optimizer", list(OPTIMIZERS))
    return {"optimizer": name,
            "lr": trial.suggest_float("lr", *space.LR, log=True),
            "batch_size": trial.suggest_categorical("batch_size", list(BATCH_SIZES)),
            "hparams": space.optimizer_hparams(name)}


class ReportToOptuna:
    """A :func:`course.torch.fit` callback: after each epoch it reports ``logs[monitor]`` to the
    trial and raises ``optuna.TrialPruned`` when the pruner says the trial is not worth finishing."""

    def __init__(self, trial: optuna.Trial, monitor: str = "val_accuracy") -> None:
        self.trial = trial
        self.monitor = monitor

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        import optuna

        self.trial.report(logs[self.monitor], step=epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"podado tras la época {epoch + 1}: {self.monitor}={logs[self.monitor]:.4f}")


def make_objective(train: tuple, valid: tuple, *, epochs: int = 10, n_outputs: int | None = None,
                   device: str | torch.device | None = None, seed: int | None = 0,
                   ) -> Callable[[optuna.Trial], float]:
    """The objective for ``study.optimize``: the validation accuracy of the last epoch (maximize it).

    ``train``/``valid`` are ``(X, y)`` pairs (inputs already scaled); the input shape comes from
    ``X`` and ``n_outputs`` defaults to the number of classes in ``y``. Each trial trains for
    ``epochs`` epochs at most, on ``device`` (default the best one); ``seed`` makes each trial
    reproducible. The trial keeps its network as the user attribute ``"config"``.
    """
    X_train, y_train = train
    input_shape = tuple(np.shape(X_train)[1:])
    if n_outputs is None:
        n_outputs = int(max(np.max(y_train), np.max(valid[1]))) + 1

    def objective(trial: optuna.Trial) -> float:
        config = suggest_config(trial, input_shape, n_outputs)
        settings = suggest_training(trial)
        trial.set_user_attr("config", config.to_dict())
        model = build_mlp(config, seed=seed)
        optimizer = get_optimizer(settings["optimizer"], model, lr=settings["lr"], **settings["hparams"])
        history = fit(model, train, valid, epochs=epochs, batch_size=settings["batch_size"], optimizer=optimizer,
                      callbacks=[ReportToOptuna(trial)], seed=seed, device=device, progress=False)
        return history.history["val_accuracy"][-1]

    return objective
