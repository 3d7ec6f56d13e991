"""The learning-rate finder for PyTorch models (see :mod:`course.lr_finder`)."""

from __future__ import annotations

from typing import Any, Iterator

import torch
from torch import nn

from ..device import get_device
from ..lr_finder import LRFinderResult, exponential_lrs, sweep
from .optim import get_optimizer
from .training import _data, _penalties, _penalty, default_loss, model_task


def _endless_batches(n: int, batch_size: int, generator: torch.Generator,
                     device: torch.device) -> Iterator[torch.Tensor]:
    """Full batches of shuffled indices (on ``device``), reshuffled at each pass."""
    batch_size = min(batch_size, n)
    while True:
        order = torch.randperm(n, generator=generator).to(device)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start:start + batch_size]


def lr_find(model: nn.Module, X: Any, y: Any, *, start_lr: float = 1e-5, end_lr: float = 10.0,
            steps: int = 200, batch_size: int = 64, optimizer: str = "sgd", seed: int | None = None,
            device: str | torch.device | None = None) -> LRFinderResult:
    """Train one batch per learning rate, from ``start_lr`` up to ``end_lr`` (exponentially), until
    the loss explodes; return the rates, the losses and the suggested rate.

    The model's weights, batch-norm statistics and train/eval mode are restored afterwards.
    ``device``: default the best one (:func:`course.device.get_device`); the model stays on it.
    """
    device = get_device(device) if not isinstance(device, torch.device) else device
    model.to(device)
    task = model_task(model)
    loss_fn = default_loss(model)
    l1, l2 = _penalties(model, None, None)
    Xt, Yt = _data(X, y, task, device)
    generator = torch.Generator()
    generator.manual_seed(seed if seed is not None else int(torch.randint(2**31 - 1, ()).item()))
    batches = _endless_batches(len(Xt), batch_size, generator, Xt.device)
    opt = get_optimizer(optimizer, model, lr=start_lr)
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    was_training = model.training

    def train_step(lr: float) -> float:
        for group in opt.param_groups:
            group["lr"] = lr
        idx = next(batches)
        loss = loss_fn(model(Xt[idx].to(device)), Yt[idx].to(device)) + _penalty(model, l1, l2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    model.train()
    try:
        return sweep(train_step, exponential_lrs(start_lr, end_lr, steps))
    finally:
        model.load_state_dict(saved)
        model.train(was_training)
