"""One description of a model for both frameworks: the MLP configuration, initializers, optimizers.

NumPy only. ``course.keras`` and ``course.torch`` build the very same network from an
:class:`MLPConfig`, initialize it with the same distributions (Keras names) and train it with the
same optimizers, named the same way, with the same hyperparameter names:

>>> config = MLPConfig(hidden=(300, 100), dropout=0.2)
>>> config.to_dict()["hidden"]
[300, 100]
>>> optimizer_hparams("adam", lr=1e-3)["beta_1"]
0.9
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from typing import Any

# Hidden-layer activations, by their Keras names. Both frameworks use the same constants:
# leaky_relu has slope 0.2 (Keras' default) and gelu is the exact one (not the tanh approximation).
ACTIVATIONS = ("relu", "leaky_relu", "elu", "selu", "gelu", "silu", "tanh", "sigmoid", "softplus")
ACTIVATION_ALIASES = {"swish": "silu"}
LEAKY_RELU_SLOPE = 0.2

# Output activations. ``None`` means raw outputs: a regression when there is one output, logits of
# a classifier when there are several.
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid", None)

# Batch normalization with Keras' defaults (PyTorch's momentum is 1 - Keras' momentum).
BN_MOMENTUM = 0.99
BN_EPSILON = 1e-3

# Factor that turns the standard deviation of a normal truncated at two standard deviations into
# the one of the distribution before truncation (Keras' VarianceScaling uses the same constant).
TRUNCATED_NORMAL_STD = 0.87962566103423978


@dataclass(frozen=True)
class InitializerSpec:
    """How an initializer draws a weight matrix of shape ``(fan_in, fan_out)``.

    ``distribution`` is ``"zeros"``, ``"normal"``, ``"truncated_normal"`` (cut at two standard
    deviations) or ``"uniform"``. Fixed initializers give ``std``; variance-scaling ones give
    ``scale`` and ``mode`` (``"fan_in"`` or ``"fan_avg"``) and their variance is ``scale / fan``.
    """

    distribution: str
    scale: float = 1.0
    mode: str | None = None
    std: float | None = None

    def target_std(self, fan_in: int, fan_out: int) -> float:
        """Standard deviation of the weights this initializer draws (0 for zeros)."""
        if self.distribution == "zeros":
            return 0.0
        if self.std is not None:
            return self.std
        fan = fan_in if self.mode == "fan_in" else (fan_in + fan_out) / 2
        return math.sqrt(self.scale / fan)

    def bound(self, fan_in: int, fan_out: int) -> float:
        """Largest absolute value a weight can take (``inf`` for an untruncated normal)."""
        std = self.target_std(fan_in, fan_out)
        if self.distribution == "uniform":
            return math.sqrt(3.0) * std  # U(-a, a) has std a / sqrt(3)
        if self.distribution == "truncated_normal":
            return 2.0 * std / TRUNCATED_NORMAL_STD
        if self.distribution == "normal":
            return math.inf
        return 0.0


# Keras' initializers, described once. random_uniform is U(-0.05, 0.05), so its std is 0.05/sqrt(3).
INITIALIZERS: dict[str, InitializerSpec] = {
    "zeros": InitializerSpec("zeros"),
    "random_normal": InitializerSpec("normal", std=0.05),
    "random_uniform": InitializerSpec("uniform", std=0.05 / math.sqrt(3.0)),
    "glorot_uniform": InitializerSpec("uniform", scale=1.0, mode="fan_avg"),
    "glorot_normal": InitializerSpec("truncated_normal", scale=1.0, mode="fan_avg"),
    "he_uniform": InitializerSpec("uniform", scale=2.0, mode="fan_in"),
    "he_normal": InitializerSpec("truncated_normal", scale=2.0, mode="fan_in"),
    "lecun_uniform": InitializerSpec("uniform", scale=1.0, mode="fan_in"),
    "lecun_normal": InitializerSpec("truncated_normal", scale=1.0, mode="fan_in"),
}

# Optimizers and their hyperparameters (besides ``lr``) with the defaults used in BOTH frameworks
# (Keras' defaults: eps=1e-7 and rho=0.9 also in PyTorch). Momentum and Nesterov are
# hyperparameters of "sgd", not optimizers of their own. Weight decay is only offered by "adamw",
# where both frameworks decouple it the same way; for the other optimizers use l1/l2 in MLPConfig.
OPTIMIZERS: dict[str, dict[str, Any]] = {
    "sgd": {"momentum": 0.0, "nesterov": False},
    "rmsprop": {"rho": 0.9, "momentum": 0.0, "eps": 1e-7},
    "adam": {"beta_1": 0.9, "beta_2": 0.999, "eps": 1e-7},
    "adamw": {"beta_1": 0.9, "beta_2": 0.999, "eps": 1e-7, "weight_decay": 0.01},
}


def _choice(kind: str, value: Any, allowed: Any) -> None:
    if value not in allowed:
        names = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"unknown {kind} {value!r}; expected one of: {names}")


def optimizer_hparams(name: str, lr: float = 1e-3, **hparams: Any) -> dict[str, Any]:
    """All hyperparameters of optimizer ``name``: the defaults, overridden by ``hparams``.

    Raises ``ValueError`` for an unknown optimizer or hyperparameter name.
    """
    name = name.lower()
    _choice("optimizer", name, OPTIMIZERS)
    unknown = sorted(set(hparams) - set(OPTIMIZERS[name]))
    if unknown:
        raise ValueError(f"optimizer {name!r} has no hyperparameter {', '.join(unknown)}; "
                         f"it takes lr, {', '.join(OPTIMIZERS[name])}")
    if lr is None or float(lr) <= 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    values = {"lr": float(lr), **OPTIMIZERS[name], **hparams}
    if values.get("nesterov") and not values.get("momentum"):
        raise ValueError("nesterov=True needs momentum > 0 (e.g. momentum=0.9)")
    return values


def task_for(n_outputs: int, output_activation: str | None) -> str:
    """The task a network's output implies: ``"multiclass"``, ``"binary"`` or ``"regression"``.

    Softmax, or several raw outputs (logits), is multiclass; sigmoid is binary (one label per
    output); a single raw output is a regression. It decides the default loss and metrics.
    """
    if output_activation == "sigmoid":
        return "binary"
    if output_activation == "softmax" or n_outputs > 1:
        return "multiclass"
    return "regression"


@dataclass
class MLPConfig:
    """A multilayer perceptron, described the same way for Keras and PyTorch.

    Each hidden layer is Dense -> [BatchNorm] -> activation -> [Dropout]. With batch norm the
    Dense layer has no bias (BatchNorm's shift replaces it). ``l1``/``l2`` penalize every Dense
    kernel (weights, not biases), as Keras' ``L1L2`` regularizer does:
    ``l1 * sum|w| + l2 * sum(w**2)``. ``initializer`` applies to every kernel; biases start at 0.
    """

    input_shape: tuple[int, ...] = (28, 28)
    hidden: tuple[int, ...] = (300, 100)
    activation: str = "relu"
    initializer: str = "glorot_uniform"
    dropout: float = 0.0
    batch_norm: bool = False
    l1: float = 0.0
    l2: float = 0.0
    n_outputs: int = 10
    output_activation: str | None = "softmax"

    def __post_init__(self) -> None:
        self.input_shape = tuple(int(d) for d in _as_sequence(self.input_shape, "input_shape"))
        self.hidden = tuple(int(h) for h in _as_sequence(self.hidden, "hidden"))
        if not self.input_shape or any(d <= 0 for d in self.input_shape):
            raise ValueError(f"input_shape must be positive sizes, got {self.input_shape}")
        if any(h <= 0 for h in self.hidden):
            raise ValueError(f"hidden layer sizes must be positive, got {self.hidden}")
        self.activation = ACTIVATION_ALIASES.get(self.activation, self.activation)
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("initializer", self.initializer, INITIALIZERS)
        if self.output_activation in ("linear", "none"):
            self.output_activation = None
        _choice("output activation", self.output_activation, OUTPUT_ACTIVATIONS)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout is a rate in [0, 1), got {self.dropout}")
        if self.l1 < 0 or self.l2 < 0:
            raise ValueError(f"l1 and l2 must be >= 0, got l1={self.l1}, l2={self.l2}")
        if int(self.n_outputs) < 1:
            raise ValueError(f"n_outputs must be >= 1, got {self.n_outputs}")
        self.n_outputs = int(self.n_outputs)
        self.dropout, self.l1, self.l2 = float(self.dropout), float(self.l1), float(self.l2)
        self.batch_norm = bool(self.batch_norm)

    @property
    def n_inputs(self) -> int:
        """Number of input features once flattened."""
        return math.prod(self.input_shape)

    @property
    def task(self) -> str:
        """``"multiclass"``, ``"binary"`` or ``"regression"`` (see :func:`task_for`)."""
        return task_for(self.n_outputs, self.output_activation)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (tuples become lists)."""
        d = asdict(self)
        d["input_shape"], d["hidden"] = list(self.input_shape), list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MLPConfig:
        """The config back from :meth:`to_dict`; unknown keys are an error, missing ones default."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown MLPConfig field(s): {', '.join(unknown)}")
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> MLPConfig:
        return cls.from_dict(json.loads(text))


def _as_sequence(value: Any, name: str) -> tuple:
    if isinstance(value, (int, float)):
        return (value,)
    if isinstance(value, str):
        raise ValueError(f"{name} must be a sequence of integers, got {value!r}")
    return tuple(value)


def layer_plan(config: MLPConfig) -> list[tuple]:
    """The layers of the network, in a framework-neutral vocabulary.

    ``("flatten",)``, ``("dense", units, use_bias)``, ``("batch_norm", units)``,
    ``("activation", name)``, ``("dropout", rate)``. The output activation comes last (PyTorch's
    model stops before it and returns logits).
    """
    plan: list[tuple] = [("flatten",)] if len(config.input_shape) > 1 else []
    for units in config.hidden:
        plan.append(("dense", units, not config.batch_norm))
        if config.batch_norm:
            plan.append(("batch_norm", units))
        plan.append(("activation", config.activation))
        if config.dropout > 0:
            plan.append(("dropout", config.dropout))
    plan.append(("dense", config.n_outputs, True))
    if config.output_activation is not None:
        plan.append(("activation", config.output_activation))
    return plan


def count_params(config: MLPConfig) -> int:
    """Number of values the network stores, as Keras' ``count_params()`` counts them.

    Weights and biases, plus 4 per batch-norm unit (scale and shift, trainable; moving mean and
    variance, not trainable).
    """
    total, fan_in = 0, config.n_inputs
    for units in config.hidden:
        total += fan_in * units + (0 if config.batch_norm else units)
        total += 4 * units if config.batch_norm else 0
        fan_in = units
    return total + fan_in * config.n_outputs + config.n_outputs
