"""The reference Fashion-MNIST model of the course, for Keras and for PyTorch, and how to train it.

One :class:`~course.models.MLPConfig` and one set of training settings per framework (today the
same for both: the point of the course is that they are one model). :func:`train_reference`
trains it; in fast mode (``COURSE_FAST=1``) it takes the very same path on a subset and 2 epochs.

>>> ref = reference("torch")
>>> ref.config.hidden, ref.training.optimizer, ref.training.label_smoothing
((768, 384), 'adamw', 0.1)

Importing this module loads neither TensorFlow nor PyTorch: :func:`train_reference` imports the
framework it is asked for.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from .config import budget, subset
from .models import MLPConfig

FRAMEWORKS = ("keras", "torch")

# Fast mode: how much of the data and how many epochs (same code path, less work).
FAST_TRAIN = 2000
FAST_VALID = 500
FAST_EPOCHS = 2


@dataclass(frozen=True)
class TrainingSettings:
    """How the reference model is trained.

    - ``optimizer`` and ``optimizer_hparams``: a name and hyperparameters of
      :data:`course.models.OPTIMIZERS` (the same in both frameworks); ``lr`` is the peak rate.
    - ``schedule``: ``"cosine"`` (from ``lr`` down to 0 over the epochs) or ``"constant"``.
    - ``label_smoothing``: the cross-entropy's target is ``1 - label_smoothing`` on the right class
      and ``label_smoothing / n_classes`` added to every class, so the network is never pushed to
      certainty on a training image (0: plain cross-entropy).
    - ``early_stopping``: patience in epochs on the validation loss (``None``: never stop early).
      The reference does not stop early: with a cosine schedule the last, slow epochs bring the
      gain, while the validation loss, noisy at the high early rates, would stop it too soon
      (measured: 16 of 25 epochs and 0.896 instead of 0.904 with a patience of 8).
    - ``keep_best``: the model ends with the weights of its epoch of highest validation
      accuracy (:class:`KeepBest`), not those of its last epoch.
    - ``seed``: initial weights, shuffling and dropout masks.
    """

    optimizer: str = "adamw"
    lr: float = 3e-3
    optimizer_hparams: dict[str, Any] = field(default_factory=lambda: {"weight_decay": 0.05})
    schedule: str = "cosine"
    label_smoothing: float = 0.1
    batch_size: int = 256
    epochs: int = 30
    early_stopping: int | None = None
    keep_best: bool = True
    seed: int = 42

    def lr_at(self, epoch: int, epochs: int | None = None) -> float:
        """Learning rate of ``epoch`` (from 0) in a run of ``epochs`` epochs (default ``self.epochs``)."""
        if self.schedule == "constant":
            return self.lr
        if self.schedule != "cosine":
            raise ValueError(f"unknown schedule {self.schedule!r}; expected 'cosine' or 'constant'")
        epochs = epochs or self.epochs
        return self.lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


class KeepBest:
    """A callback for ``fit`` in both frameworks: it remembers the weights of the epoch with the
    highest ``monitor`` (default ``val_accuracy``) and puts them back when training ends.

    ``get_state()`` returns a copy of the weights, ``set_state(state)`` loads them.
    """

    def __init__(self, get_state: Callable[[], Any], set_state: Callable[[Any], Any],
                 monitor: str = "val_accuracy") -> None:
        self.get_state, self.set_state, self.monitor = get_state, set_state, monitor
        self.best: float = -math.inf
        self.best_epoch: int | None = None
        self.state: Any = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best, self.best_epoch, self.state = -math.inf, None, None

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if logs.get(self.monitor, -math.inf) > self.best:
            self.best, self.best_epoch, self.state = logs[self.monitor], epoch, self.get_state()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.state is not None:
            self.set_state(self.state)

    @classmethod
    def for_model(cls, model: Any, monitor: str = "val_accuracy") -> KeepBest:
        """The callback for a Keras model or a PyTorch module."""
        if hasattr(model, "state_dict"):  # PyTorch
            return cls(lambda: {k: v.detach().clone() for k, v in model.state_dict().items()},
                       model.load_state_dict, monitor)
        return cls(model.get_weights, model.set_weights, monitor)


@dataclass(frozen=True)
class Reference:
    """A network (:class:`MLPConfig`) and how to train it (:class:`TrainingSettings`)."""

    config: MLPConfig
    training: TrainingSettings


def _final_config() -> MLPConfig:
    # Two wide hidden layers; batch norm lets the rate be high, dropout, weight decay and label
    # smoothing keep the training images from being memorized. On 07's split (48,000 / 12,000),
    # (512, 256) with dropout 0.25 and no smoothing stays near 0.906 validation accuracy; a third
    # layer, more dropout or weight decay, mixup or other batch sizes move it less than the spread
    # between seeds (about 0.002), input dropout, GELU and shifted or flipped images lower it;
    # wider layers with dropout 0.3 and smoothing 0.1 add about 0.003, for twice the CPU time.
    # The figures: benchmarks/reference_models.py and the README.
    return MLPConfig(input_shape=(28, 28), hidden=(768, 384), activation="relu", initializer="he_normal",
                     dropout=0.3, batch_norm=True, n_outputs=10, output_activation="softmax")


REFERENCES: dict[str, Reference] = {
    "keras": Reference(_final_config(), TrainingSettings()),
    "torch": Reference(_final_config(), TrainingSettings()),
}


def _check(framework: str) -> str:
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; expected one of: {', '.join(FRAMEWORKS)}")
    return framework


def reference(framework: str) -> Reference:
    """The reference of ``"keras"`` or ``"torch"`` (a copy: changing it changes nothing here)."""
    ref = REFERENCES[_check(framework)]
    return Reference(dataclasses.replace(ref.config),
                     dataclasses.replace(ref.training, optimizer_hparams=dict(ref.training.optimizer_hparams)))


def build_reference(framework: str) -> Any:
    """The untrained reference network of ``framework`` (a ``keras.Sequential`` or an ``nn.Sequential``)."""
    ref = reference(framework)
    if framework == "keras":
        from .keras import build_mlp
    else:
        from .torch import build_mlp
    return build_mlp(ref.config, seed=ref.training.seed)


def keras_smoothed_loss(label_smoothing: float) -> Callable[[Any, Any], Any]:
    """Cross-entropy on integer labels with label smoothing, for a Keras model that ends in softmax.

    Keras' ``SparseCategoricalCrossentropy`` has no ``label_smoothing`` (its categorical
    counterpart has); this one turns the labels into one-hot vectors first. PyTorch's
    ``nn.CrossEntropyLoss(label_smoothing=...)`` computes the same on logits.
    """
    import keras

    def loss(y_true: Any, y_pred: Any) -> Any:
        labels = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
        one_hot = keras.ops.one_hot(labels, keras.ops.shape(y_pred)[-1])
        return keras.losses.categorical_crossentropy(one_hot, y_pred, label_smoothing=label_smoothing)

    return loss


def _pick(full: Any, small: Any, fast: bool | None) -> Any:
    """``course.budget`` when ``fast`` is None, else what ``fast`` asks for."""
    if fast is None:
        return budget(full=full, fast=small)
    return small if fast else full


def train_reference(framework: str, data: Any = None, *, fast: bool | None = None, verbose: bool = False) -> Any:
    """Train the reference model of ``"keras"`` or ``"torch"``; returns the History (Keras' keys:
    ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``lr``), its trained model in ``.model``.

    ``data``: ``(train, valid, ...)`` splits of ``(X, y)`` pairs with pixels in [0, 1]; default
    ``load_fashion_mnist(validation=5000)``. ``fast`` (default: ``COURSE_FAST``) trains on
    ``FAST_TRAIN``/``FAST_VALID`` images for ``FAST_EPOCHS`` epochs.
    """
    ref = reference(framework)
    settings = ref.training
    if data is None:
        from .datasets import load_fashion_mnist

        data = load_fashion_mnist(validation=5000)
    train, valid = tuple(data[0]), tuple(data[1])
    train = subset(train[0], train[1], _pick(None, FAST_TRAIN, fast), seed=settings.seed)
    valid = subset(valid[0], valid[1], _pick(None, FAST_VALID, fast), seed=settings.seed)
    epochs = _pick(settings.epochs, FAST_EPOCHS, fast)

    def schedule(epoch: int) -> float:
        return settings.lr_at(epoch, epochs)

    model = build_reference(framework)
    common = {"epochs": epochs, "batch_size": settings.batch_size, "lr_schedule": schedule,
              "early_stopping": settings.early_stopping, "restore_best": not settings.keep_best,
              "callbacks": [KeepBest.for_model(model)] if settings.keep_best else [], "seed": settings.seed}
    if framework == "keras":
        from .keras import fit as keras_fit
        from .keras import get_optimizer as keras_optimizer

        optimizer = keras_optimizer(settings.optimizer, lr=settings.lr, **settings.optimizer_hparams)
        loss = keras_smoothed_loss(settings.label_smoothing) if settings.label_smoothing else None
        return keras_fit(model, train, valid, optimizer=optimizer, loss=loss, progress=verbose, **common)
    from torch import nn

    from .torch import fit as torch_fit
    from .torch import get_optimizer as torch_optimizer

    # get_optimizer's one difference between the frameworks (course.interface): PyTorch's takes the model.
    optimizer = torch_optimizer(settings.optimizer, model, lr=settings.lr, **settings.optimizer_hparams)
    loss = nn.CrossEntropyLoss(label_smoothing=settings.label_smoothing)
    return torch_fit(model, train, valid, optimizer=optimizer, loss=loss, progress=verbose, **common)
