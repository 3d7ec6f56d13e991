"""PyTorch optimizers by name, with the hyperparameter names shared with :mod:`course.keras`."""

from __future__ import annotations

from typing import Any, Iterable

import torch
from torch import nn

from ..models import optimizer_hparams


def get_optimizer(name: str, params: nn.Module | Iterable[Any], lr: float = 1e-3,
                  **hparams: Any) -> torch.optim.Optimizer:
    """``"sgd"``, ``"rmsprop"``, ``"adam"`` or ``"adamw"`` over ``params`` (a model or its parameters).

    Hyperparameters as in :data:`course.models.OPTIMIZERS`, with Keras' defaults: RMSprop's
    ``rho`` is PyTorch's ``alpha``, Adam's ``beta_1, beta_2`` its ``betas``.
    """
    h = optimizer_hparams(name, lr, **hparams)
    if isinstance(params, nn.Module):
        params = params.parameters()
    name = name.lower()
    if name == "sgd":
        return torch.optim.SGD(params, lr=h["lr"], momentum=h["momentum"], nesterov=h["nesterov"])
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=h["lr"], alpha=h["rho"], momentum=h["momentum"], eps=h["eps"])
    betas = (h["beta_1"], h["beta_2"])
    if name == "adam":
        return torch.optim.Adam(params, lr=h["lr"], betas=betas, eps=h["eps"])
    return torch.optim.AdamW(params, lr=h["lr"], betas=betas, eps=h["eps"], weight_decay=h["weight_decay"])
