"""A multilayer perceptron in NumPy: forward pass, backpropagation and a gradient check.

>>> from course.datasets import make_xor
>>> X, y = make_xor(4, noise=0)
>>> model = MLP([2, 4, 1], activation="tanh").fit(X, y, lr=0.5, epochs=2000)
>>> model.predict(X)
array([0, 1, 1, 0])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .activations import get_activation, sigmoid

HIDDEN = ("sigmoid", "tanh", "relu")
OUTPUTS = ("sigmoid", "softmax")


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class MLP:
    """Fully connected network ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    Hidden layers use ``activation`` (sigmoid, tanh or relu). The output is either ``"sigmoid"``
    (binary cross-entropy; labels 0/1, one output unit per label column) or ``"softmax"``
    (cross-entropy; integer labels ``0..sizes[-1]-1``). Weights are drawn with a seeded
    Gaussian scaled by ``1/sqrt(fan_in)`` (``2/fan_in`` variance for ReLU); biases start at 0.

    ``params`` is the flat list ``[W1, b1, W2, b2, ...]`` with ``W`` of shape ``(fan_in, fan_out)``.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "sigmoid", output: str = "sigmoid",
                 seed: int = 0) -> None:
        if len(sizes) < 2:
            raise ValueError(f"sizes needs an input and an output size, got {list(sizes)}")
        if activation not in HIDDEN:
            raise ValueError(f"unknown hidden activation {activation!r}; expected one of {HIDDEN}")
        if output not in OUTPUTS:
            raise ValueError(f"unknown output {output!r}; expected one of {OUTPUTS}")
        if output == "softmax" and sizes[-1] < 2:
            raise ValueError("a softmax output needs at least 2 units")
        self.sizes = [int(s) for s in sizes]
        self.activation = activation
        self.output = output
        self.seed = seed
        self._f, self._df = get_activation(activation)
        rng = np.random.default_rng(seed)
        gain = 2.0 if activation == "relu" else 1.0
        self.params: list[np.ndarray] = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            self.params.append(rng.standard_normal((fan_in, fan_out)) * np.sqrt(gain / fan_in))
            self.params.append(np.zeros(fan_out))
        self.loss_history_: list[float] = []

    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + output layer)."""
        return len(self.params) // 2

    # -- forward ---------------------------------------------------------------------------
    def _forward(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations ``zs`` and activations ``activations`` (``activations[0]`` is X)."""
        a = np.asarray(X, dtype=np.float64)
        activations, zs = [a], []
        for layer in range(self.n_layers):
            W, b = self.params[2 * layer], self.params[2 * layer + 1]
            z = a @ W + b
            zs.append(z)
            if layer < self.n_layers - 1:
                a = self._f(z)
            else:
                a = sigmoid(z) if self.output == "sigmoid" else _softmax(z)
            activations.append(a)
        return zs, activations

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Output probabilities, shape ``(n, sizes[-1])``."""
        return self._forward(X)[1][-1]

    def _targets(self, y: np.ndarray, n: int) -> np.ndarray:
        """Labels as a float array shaped like the output (one-hot for softmax)."""
        y = np.asarray(y)
        k = self.sizes[-1]
        if self.output == "softmax":
            labels = y.ravel().astype(np.int64)
            if labels.min() < 0 or labels.max() >= k:
                raise ValueError(f"softmax labels must lie in 0..{k - 1}, got {np.unique(labels)}")
            return np.eye(k)[labels]
        return y.reshape(n, k).astype(np.float64)

    def _loss_from_logits(self, z: np.ndarray, t: np.ndarray) -> float:
        """Mean cross-entropy computed from the output logits (stable for large ``|z|``)."""
        if self.output == "sigmoid":
            # -[t log s(z) + (1 - t) log(1 - s(z))] = softplus(z) - t z
            per_example = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - t * z).sum(axis=1)
        else:
            zmax = z.max(axis=1, keepdims=True)
            log_norm = zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))
            per_example = log_norm - (z * t).sum(axis=1)
        return float(per_example.mean())

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean (binary) cross-entropy of the model on ``(X, y)``."""
        zs, _ = self._forward(X)
        return self._loss_from_logits(zs[-1], self._targets(y, len(zs[-1])))

    # -- backward --------------------------------------------------------------------------
    def _loss_and_gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        zs, activations = self._forward(X)
        n = len(zs[-1])
        t = self._targets(y, n)
        loss = self._loss_from_logits(zs[-1], t)
        # Both sigmoid + BCE and softmax + CE give the same error at the output logits.
        delta = (activations[-1] - t) / n
        grads: list[np.ndarray] = [np.empty(0)] * len(self.params)
        for layer in reversed(range(self.n_layers)):
            grads[2 * layer] = activations[layer].T @ delta
            grads[2 * layer + 1] = delta.sum(axis=0)
            if layer > 0:
                delta = (delta @ self.params[2 * layer].T) * self._df(zs[layer - 1])
        return loss, grads

    def gradients(self, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """Backpropagation: gradients of ``loss(X, y)``, in the same order and shapes as ``params``."""
        return self._loss_and_gradients(X, y)[1]

    # -- training --------------------------------------------------------------------------
    def fit(self, X: np.ndarray, y: np.ndarray, lr: float = 0.5, epochs: int = 5000,
            batch_size: int | None = None) -> "MLP":
        """Gradient descent: full batch (``batch_size=None``) or shuffled mini-batches.

        ``loss_history_`` gets one value per epoch: the mean loss over that epoch's batches.
        """
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        n = len(X)
        size = n if batch_size is None else int(batch_size)
        rng = np.random.default_rng(self.seed)
        for _ in range(epochs):
            order = np.arange(n) if batch_size is None else rng.permutation(n)
            total = 0.0
            for start in range(0, n, size):
                idx = order[start:start + size]
                loss, grads = self._loss_and_gradients(X[idx], y[idx])
                for p, g in zip(self.params, grads):
                    p -= lr * g
                total += loss * len(idx)
            self.loss_history_.append(total / n)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probabilities: ``(n, 1)`` for a sigmoid output (of class 1), ``(n, k)`` for softmax."""
        return self.forward(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Labels: probability >= 0.5 for a sigmoid output, the most likely class for softmax."""
        proba = self.forward(X)
        if self.output == "softmax":
            return proba.argmax(axis=1)
        labels = (proba >= 0.5).astype(np.int64)
        return labels[:, 0] if labels.shape[1] == 1 else labels


def numerical_gradient(model: MLP, X: np.ndarray, y: np.ndarray, eps: float = 1e-5) -> list[np.ndarray]:
    """Central finite differences ``(L(p + eps) - L(p - eps)) / (2 eps)``, one parameter at a time.

    Slow (two forward passes per parameter): only for checking backprop on tiny networks.
    """
    grads = []
    for p in model.params:
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            plus = model.loss(X, y)
            p[i] = old - eps
            minus = model.loss(X, y)
            p[i] = old
            g[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def gradient_check(model: MLP, X: np.ndarray, y: np.ndarray, eps: float = 1e-5) -> float:
    """Largest relative error between backprop and numerical gradients, over the parameter arrays.

    For each array: ``||g_backprop - g_numerical|| / (||g_backprop|| + ||g_numerical||)``.
    Below about 1e-7 backprop is right; above 1e-3 something is wrong. One honest exception:
    a ReLU whose input is exactly 0 (e.g. a unit fed only by dead units, with bias 0) sits on the
    kink, where the finite difference sees half a slope and backprop sees none.
    """
    errors = []
    for g, num in zip(model.gradients(X, y), numerical_gradient(model, X, y, eps)):
        denom = np.linalg.norm(g) + np.linalg.norm(num)
        errors.append(0.0 if denom == 0 else float(np.linalg.norm(g - num) / denom))
    return max(errors)
