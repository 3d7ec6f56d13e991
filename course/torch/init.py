"""Keras' initializers in PyTorch, by their Keras names, drawing from the same distributions."""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from ..models import INITIALIZERS, TRUNCATED_NORMAL_STD


def _fans(weight: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)`` (PyTorch's layout)."""
    if weight.dim() < 2:
        raise ValueError(f"need a weight with 2 or more dimensions, got shape {tuple(weight.shape)}")
    receptive = weight[0][0].numel()
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def get_initializer(name: str, seed: int | None = None) -> Callable[..., torch.Tensor]:
    """Keras' initializer ``name`` in PyTorch: ``init(shape)`` returns a new tensor of ``shape`` in
    PyTorch's layout ``(n_out, n_in)``; ``init(tensor)`` fills that tensor in place (as ``nn.init``).

    The truncated normals are cut at two standard deviations and rescaled so that the weights
    keep the standard deviation of the formula (e.g. ``sqrt(2 / fan_in)`` for ``he_normal``).
    With a ``seed`` every call draws the same values (as a seeded Keras initializer); without,
    they come from PyTorch's global generator.
    """
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}; expected one of: {', '.join(INITIALIZERS)}")
    spec = INITIALIZERS[name]

    def init(shape: torch.Tensor | Sequence[int], dtype: torch.dtype | None = None) -> torch.Tensor:
        weight = shape if isinstance(shape, torch.Tensor) else torch.empty(tuple(shape), dtype=dtype or torch.float32)
        fan_in, fan_out = _fans(weight)
        std = spec.target_std(fan_in, fan_out)
        generator = None
        if seed is not None:
            generator = torch.Generator(device=weight.device)
            generator.manual_seed(seed)
        with torch.no_grad():
            if spec.distribution == "zeros":
                return nn.init.zeros_(weight)
            if spec.distribution == "normal":
                return nn.init.normal_(weight, 0.0, std, generator=generator)
            if spec.distribution == "uniform":
                limit = spec.bound(fan_in, fan_out)
                return nn.init.uniform_(weight, -limit, limit, generator=generator)
            sigma = std / TRUNCATED_NORMAL_STD  # std of the normal before the cut
            return nn.init.trunc_normal_(weight, 0.0, sigma, -2 * sigma, 2 * sigma, generator=generator)

    init.__name__ = name
    return init


def initialize(model: nn.Module, name: str) -> nn.Module:
    """Initialize every ``nn.Linear`` of ``model`` again: weights with ``name``, biases with zeros (as Keras)."""
    init = get_initializer(name)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            init(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return model
