"""Train, evaluate, predict, save and load Keras models, with the signatures of :mod:`course.torch`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

import keras
import numpy as np

from ..models import task_for
from .optim import get_optimizer


def model_task(model: keras.Model) -> str:
    """``"multiclass"``, ``"binary"`` or ``"regression"``, read from the model's output layer."""
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if not dense:
        raise ValueError("the model has no Dense layer: cannot tell its task")
    activation = dense[-1].activation.__name__
    if isinstance(model.layers[-1], keras.layers.Activation):
        activation = model.layers[-1].activation.__name__
    return task_for(dense[-1].units, activation if activation in ("softmax", "sigmoid") else None)


def default_loss(model: keras.Model) -> Any:
    """The loss :func:`fit` trains ``model`` with, from its task (:func:`model_task`): sparse
    categorical cross-entropy for ``"multiclass"`` (on logits when there is no softmax), binary
    cross-entropy for ``"binary"``, mean squared error for ``"regression"``."""
    task = model_task(model)
    if task == "binary":
        return "binary_crossentropy"
    if task == "regression":
        return "mse"
    if model.layers[-1].activation.__name__ == "softmax":
        return "sparse_categorical_crossentropy"
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _compile(model: keras.Model, optimizer: Any, loss: Any = None) -> None:
    metrics = [] if model_task(model) == "regression" else ["accuracy"]
    model.compile(optimizer=optimizer, loss=loss if loss is not None else default_loss(model), metrics=metrics)


class _LearningRate(keras.callbacks.Callback):
    """Sets the learning rate of each epoch (``schedule(epoch)``) and logs it as ``"lr"``."""

    def __init__(self, schedule: Callable[[int], float] | None) -> None:
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.schedule is not None:
            self.model.optimizer.learning_rate = float(self.schedule(epoch))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class _DuckCallback(keras.callbacks.Callback):
    """Runs a plain object with ``on_train_begin``/``on_epoch_end``/``on_train_end`` as a Keras callback."""

    def __init__(self, target: Any) -> None:
        super().__init__()
        self.target = target

    def _call(self, method: str, *args: Any) -> None:
        fn = getattr(self.target, method, None)
        if fn is not None:
            fn(*args)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._call("on_train_begin", dict(logs or {}))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._call("on_epoch_end", epoch, dict(logs or {}))

    def on_train_end(self, logs: dict | None = None) -> None:
        self._call("on_train_end", dict(logs or {}))


def as_keras_callback(target: Any) -> keras.callbacks.Callback:
    """``target`` as a Keras callback: itself if it is one, else a wrapper calling its
    ``on_train_begin(logs)``, ``on_epoch_end(epoch, logs)`` and ``on_train_end(logs)``."""
    return target if isinstance(target, keras.callbacks.Callback) else _DuckCallback(target)


def _has_data(split: Any) -> bool:
    return split is not None and len(split[0]) > 0


def fit(model: keras.Model, train: tuple, valid: tuple | None = None, *, epochs: int = 10,
        batch_size: int = 32, optimizer: str | keras.optimizers.Optimizer = "adam", lr: float = 1e-3,
        loss: Any = None, early_stopping: int | None = None, restore_best: bool = True,
        lr_schedule: Callable[[int], float] | None = None, checkpoint: str | Path | None = None,
        callbacks: Iterable[Any] = (), seed: int | None = None, progress: bool = True,
        ) -> keras.callbacks.History:
    """Compile and train ``model`` on ``train = (X, y)``; returns Keras' ``History``.

    - ``optimizer``: a name (built with ``lr``) or a Keras optimizer; ``loss``: default
      :func:`default_loss`. Accuracy is tracked for classifiers.
    - ``early_stopping``: patience in epochs, on ``val_loss`` (``loss`` without ``valid``);
      with ``restore_best`` the model ends with the weights of its best epoch.
    - ``lr_schedule``: a function epoch (from 0) -> learning rate, applied at each epoch's start.
      The rate used is logged as ``history.history["lr"]``.
    - ``checkpoint``: a ``.keras`` (whole model) or ``.weights.h5`` path, saved at each best epoch.
    - ``callbacks``: Keras callbacks or any object with ``on_train_begin(logs)``,
      ``on_epoch_end(epoch, logs)``, ``on_train_end(logs)`` (e.g. ``course.plots.LivePlot``).
    - ``progress``: Keras' progress bar (``verbose="auto"``) or silence (``verbose=0``).
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    if isinstance(optimizer, str):
        optimizer = get_optimizer(optimizer, lr=lr)
    _compile(model, optimizer, loss)
    validation = tuple(valid) if valid is not None and _has_data(valid) else None
    monitor = "val_loss" if validation is not None else "loss"
    cbs: list[keras.callbacks.Callback] = [_LearningRate(lr_schedule)]
    if early_stopping is not None:
        cbs.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=int(early_stopping),
                                                 restore_best_weights=restore_best))
    if checkpoint is not None:
        path = str(checkpoint)
        cbs.append(keras.callbacks.ModelCheckpoint(path, monitor=monitor, save_best_only=True,
                                                   save_weights_only=path.endswith(".weights.h5")))
    cbs += [as_keras_callback(cb) for cb in callbacks]
    X, y = train
    return model.fit(X, y, validation_data=validation, epochs=epochs, batch_size=batch_size,
                     callbacks=cbs, verbose="auto" if progress else 0)


def evaluate(model: keras.Model, X: Any, y: Any, batch_size: int = 1024) -> dict[str, float]:
    """``{"loss": ..., "accuracy": ...}`` (no accuracy for a regression). The loss includes the
    L1/L2 penalties, as during training. An uncompiled model gets the default loss."""
    if not model.compiled:
        _compile(model, "sgd")
    results = model.evaluate(X, y, batch_size=batch_size, verbose=0, return_dict=True)
    return {key: float(results[key]) for key in ("loss", "accuracy") if key in results}


def predict_proba(model: keras.Model, X: Any, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities, shape ``(n, n_outputs)`` (softmax applied to logits if needed)."""
    outputs = model.predict(X, batch_size=batch_size, verbose=0)
    task = model_task(model)
    if task == "multiclass" and model.layers[-1].activation.__name__ != "softmax":
        outputs = keras.ops.convert_to_numpy(keras.ops.softmax(outputs, axis=-1))
    elif task == "regression":
        raise ValueError("a regression model has no class probabilities; use predict()")
    return np.asarray(outputs)


def predict(model: keras.Model, X: Any, batch_size: int = 1024) -> np.ndarray:
    """Predicted labels for a classifier (like scikit-learn), predicted values for a regression."""
    task = model_task(model)
    if task == "regression":
        outputs = np.asarray(model.predict(X, batch_size=batch_size, verbose=0))
        return outputs[:, 0] if outputs.shape[-1] == 1 else outputs
    proba = predict_proba(model, X, batch_size)
    if task == "binary":
        labels = (proba > 0.5).astype(np.int64)
        return labels[:, 0] if labels.shape[-1] == 1 else labels
    return proba.argmax(axis=-1)


def save_model(model: keras.Model, path: str | Path) -> Path:
    """Save the whole model as a ``.keras`` file (the suffix is added if missing); returns its path."""
    path = Path(path)
    if path.suffix != ".keras":
        path = path.with_name(path.name + ".keras")
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path


def load_model(path: str | Path) -> keras.Model:
    """Load a ``.keras`` file in safe mode (it never runs code stored in the file)."""
    path = Path(path)
    if path.suffix != ".keras":
        path = path.with_name(path.name + ".keras")
    return keras.models.load_model(path, safe_mode=True)
