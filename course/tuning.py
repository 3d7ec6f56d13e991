"""The hyperparameter search space of the course, written once (no framework imported here).

:mod:`course.keras.tuning` (keras-tuner) and :mod:`course.torch.tuning` (Optuna) both draw from it,
with the same hyperparameter names, so the best values of one search rebuild the same network in
the other framework:

- ``n_layers``: 1 to :data:`MAX_LAYERS` hidden layers; ``units_0``, ``units_1``...: :data:`UNITS`;
- ``activation`` in :data:`ACTIVATIONS` (the initializer follows it: :data:`INITIALIZER_FOR`);
- ``dropout``: :data:`DROPOUT`; ``batch_norm``: ``False`` or ``True``;
- ``optimizer`` in :data:`OPTIMIZERS` (SGD with :data:`SGD_HPARAMS`); ``lr``: log-uniform in :data:`LR`;
- ``batch_size`` in :data:`BATCH_SIZES`.

Keras' :class:`~course.keras.tuning.MLPHyperModel` also searches ``preprocessing``
(:data:`PREPROCESSING`), because it takes raw pixels; Optuna's objective takes scaled inputs.
"""

from __future__ import annotations

ACTIVATIONS = ("relu", "elu", "selu", "gelu")
OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")
BATCH_SIZES = (32, 64, 128, 256)
PREPROCESSING = ("rescale", "standardize")
MAX_LAYERS = 3
UNITS = (32, 512, 32)  # low, high, step: 32, 64, ..., 512 units per hidden layer
DROPOUT = (0.0, 0.5, 0.1)  # low, high, step
LR = (1e-4, 1e-2)  # drawn log-uniformly
SGD_HPARAMS = {"momentum": 0.9, "nesterov": True}

# The initializer follows the activation: He for the ReLU family, LeCun for SELU.
INITIALIZER_FOR = {"relu": "he_normal", "elu": "he_normal", "gelu": "he_normal", "selu": "lecun_normal"}


def optimizer_hparams(name: str) -> dict[str, object]:
    """The fixed hyperparameters of the optimizer ``name`` in the search (Nesterov momentum for SGD)."""
    return dict(SGD_HPARAMS) if name == "sgd" else {}
