"""Train, evaluate, predict, save and load PyTorch models, with the signatures of :mod:`course.keras`.

The training loop is the one of the course, written once: data go to the device ONCE (they stay
on the GPU when they fit in half of its free memory), each batch is an index slice of those
tensors (shuffled with a seeded ``torch.Generator``), and losses and accuracies are summed on the
device and read once per epoch, so the GPU never waits for the CPU. Mixed precision (float16
autocast + gradient scaling) is used only on CUDA.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..device import get_device
from ..models import MLPConfig, task_for
from .models import build_mlp
from .optim import get_optimizer

EVAL_BATCH_SIZE = 1024


class History:
    """What Keras' ``History`` holds: ``history`` (metric name -> one value per epoch), ``epoch``
    (the epoch numbers), ``model`` and ``params``."""

    def __init__(self, model: nn.Module, params: dict[str, Any]) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.model = model
        self.params = params

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


# ----------------------------------------------------------------------------- task and loss

def model_task(model: nn.Module) -> str:
    """``"multiclass"``, ``"binary"`` or ``"regression"``: from ``model.config`` when
    :func:`build_mlp` attached one; otherwise one output is a regression, several are logits."""
    config = getattr(model, "config", None)
    if isinstance(config, MLPConfig):
        return config.task
    linear = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linear:
        raise ValueError("the model has no nn.Linear layer: cannot tell its task; give fit a loss")
    return task_for(linear[-1].out_features, None)


_LOSSES = {"multiclass": nn.CrossEntropyLoss, "binary": nn.BCEWithLogitsLoss, "regression": nn.MSELoss}


def default_loss(model: nn.Module) -> nn.Module:
    """The loss :func:`fit` trains ``model`` with, from its task (:func:`model_task`): cross-entropy
    on logits for ``"multiclass"``, binary cross-entropy on logits for ``"binary"``, mean squared
    error for ``"regression"``."""
    return _LOSSES[model_task(model)]()


def _penalties(model: nn.Module, l1: float | None, l2: float | None) -> tuple[float, float]:
    """Explicit l1/l2, else those of ``model.config``, else 0."""
    config = getattr(model, "config", None)
    if l1 is None:
        l1 = config.l1 if isinstance(config, MLPConfig) else 0.0
    if l2 is None:
        l2 = config.l2 if isinstance(config, MLPConfig) else 0.0
    return float(l1), float(l2)


def _penalty(model: nn.Module, l1: float, l2: float) -> torch.Tensor | float:
    """``l1 * sum|w| + l2 * sum(w**2)`` over the weights of every ``nn.Linear`` (as Keras' L1L2)."""
    total: torch.Tensor | float = 0.0
    if l1 == 0 and l2 == 0:
        return total
    for module in model.modules():
        if isinstance(module, nn.Linear):
            if l1:
                total = total + l1 * module.weight.abs().sum()
            if l2:
                total = total + l2 * module.weight.pow(2).sum()
    return total


# ----------------------------------------------------------------------------- data on the device

def _targets(y: Any, task: str) -> torch.Tensor:
    if task == "multiclass":
        return torch.as_tensor(np.asarray(y), dtype=torch.long)
    t = torch.as_tensor(np.asarray(y), dtype=torch.float32)
    return t[:, None] if t.dim() == 1 else t


def _place(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """The tensor on ``device`` if it fits in half the free GPU memory; else it stays in host
    memory and each batch is copied to the GPU (slower, but any data set fits)."""
    if device.type != "cuda":
        return tensor.to(device)
    free, _total = torch.cuda.mem_get_info(device)
    if tensor.numel() * tensor.element_size() < free // 2:
        return tensor.to(device)
    return tensor


def _data(X: Any, y: Any, task: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    inputs = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    return _place(inputs, device), _place(_targets(y, task), device)


def _batches(X: torch.Tensor, Y: torch.Tensor, batch_size: int, device: torch.device,
             generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One pass over the data: shuffled index slices with ``generator``, in order without."""
    n = len(X)
    for start in range(0, n, batch_size):
        if generator is None:
            xb, yb = X[start:start + batch_size], Y[start:start + batch_size]
        else:
            if start == 0:  # one permutation per epoch, drawn on the CPU, moved once
                order = torch.randperm(n, generator=generator).to(X.device)
            idx = order[start:start + batch_size]
            xb, yb = X[idx], Y[idx]
        yield xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)


def _model_device(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _has_data(split: Any) -> bool:
    return split is not None and len(split[0]) > 0


# ----------------------------------------------------------------------------- one epoch

def _run_epoch(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], loss_fn: Callable,
               task: str, l1: float, l2: float, optimizer: torch.optim.Optimizer | None = None,
               scaler: torch.amp.GradScaler | None = None, amp: bool = False) -> dict[str, float]:
    """Train on every batch (with an optimizer) or evaluate; returns the mean loss and accuracy.

    The loss includes the L1/L2 penalty, as Keras reports it.
    """
    training = optimizer is not None
    model.train(training)
    total_loss = correct = 0.0
    seen = labels = 0
    with torch.set_grad_enabled(training):
        for xb, yb in batches:
            with torch.autocast(device_type=xb.device.type, dtype=torch.float16, enabled=amp):
                out = model(xb)
                loss = loss_fn(out, yb)
            if training:
                assert optimizer is not None, "training needs an optimizer"
                loss = loss + _penalty(model, l1, l2)
                optimizer.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
            # Sums stay on the device: no synchronisation until the end of the epoch.
            total_loss = total_loss + loss.detach().float() * len(yb)
            seen += len(yb)
            if task == "multiclass":
                correct = correct + (out.argmax(dim=1) == yb).sum()
                labels += len(yb)
            elif task == "binary":
                correct = correct + ((out > 0) == (yb > 0.5)).sum()
                labels += yb.numel()
    logs = {"loss": float(total_loss) / max(seen, 1)}
    if not training:
        with torch.no_grad():
            logs["loss"] += float(_penalty(model, l1, l2))
    if task != "regression":
        logs["accuracy"] = float(correct) / max(labels, 1)
    return logs


def _use_amp(amp: bool | str, device: torch.device) -> bool:
    if amp == "auto":
        return device.type == "cuda"
    if amp and device.type != "cuda":
        warnings.warn("mixed precision needs CUDA; training in float32", stacklevel=3)
        return False
    return bool(amp)


def _notify(callbacks: list[Any], method: str, *args: Any) -> None:
    for callback in callbacks:
        fn = getattr(callback, method, None)
        if fn is not None:
            fn(*args)


def _save_checkpoint(model: nn.Module, path: str | Path) -> None:
    config = getattr(model, "config", None)
    if isinstance(config, MLPConfig):
        save_model(model, path)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), path)


# ----------------------------------------------------------------------------- fit and evaluate

def fit(model: nn.Module, train: tuple, valid: tuple | None = None, *, epochs: int = 10, batch_size: int = 32,
        optimizer: str | torch.optim.Optimizer = "adam", lr: float = 1e-3, loss: Callable | None = None,
        early_stopping: int | None = None, restore_best: bool = True,
        lr_schedule: Callable[[int], float] | None = None, checkpoint: str | Path | None = None,
        callbacks: Iterable[Any] = (), l1: float | None = None, l2: float | None = None,
        seed: int | None = None, device: str | torch.device | None = None, progress: bool = True,
        amp: bool | str = "auto") -> History:
    """Train ``model`` on ``train = (X, y)``; returns a :class:`History` with Keras' keys
    (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``lr``).

    - ``optimizer``: a name (built with ``lr``) or a ``torch.optim`` optimizer; ``loss``: a
      function ``(logits, targets) -> mean loss``, default :func:`default_loss`.
    - ``l1``/``l2``: penalties on every Linear weight; default those of ``model.config``.
    - ``early_stopping``: patience in epochs, on ``val_loss`` (``loss`` without ``valid``);
      with ``restore_best`` the model ends with the weights of its best epoch.
    - ``lr_schedule``: a function epoch (from 0) -> learning rate, set at each epoch's start
      (the same contract as in :func:`course.keras.fit`; not a ``torch.optim.lr_scheduler``).
    - ``checkpoint``: path where the best ``state_dict`` is saved (with the config JSON beside it
      when the model has one: :func:`load_model` reads it back).
    - ``callbacks``: objects with any of ``on_train_begin(logs)``, ``on_epoch_end(epoch, logs)``,
      ``on_train_end(logs)``.
    - ``device``: default the best one (:func:`course.device.get_device`); ``amp="auto"`` uses
      mixed precision on CUDA only; ``seed`` fixes the shuffling and the dropout masks.
    - ``progress``: a progress bar over the epochs (tqdm), or silence.
    """
    device = get_device(device) if not isinstance(device, torch.device) else device
    model.to(device)
    if seed is not None:
        torch.manual_seed(seed)
    generator = torch.Generator()
    generator.manual_seed(seed if seed is not None else int(torch.randint(2**31 - 1, ()).item()))
    task = model_task(model)
    loss_fn = loss if loss is not None else default_loss(model)
    l1, l2 = _penalties(model, l1, l2)
    if isinstance(optimizer, str):
        optimizer = get_optimizer(optimizer, model, lr=lr)
    use_amp = _use_amp(amp, device)
    scaler = torch.amp.GradScaler("cuda") if use_amp else None
    callbacks = list(callbacks)

    X, Y = _data(train[0], train[1], task, device)
    validation = _data(valid[0], valid[1], task, device) if valid is not None and _has_data(valid) else None
    monitor = "val_loss" if validation is not None else "loss"
    history = History(model, {"epochs": epochs, "steps": math.ceil(len(X) / batch_size)})
    best, wait, best_state = math.inf, 0, None
    logs: dict[str, float] = {}

    _notify(callbacks, "on_train_begin", {})
    bar = tqdm(range(epochs), desc="entrenamiento", unit="época", disable=not progress)
    for epoch in bar:
        if lr_schedule is not None:
            for group in optimizer.param_groups:
                group["lr"] = float(lr_schedule(epoch))
        logs = _run_epoch(model, _batches(X, Y, batch_size, device, generator), loss_fn, task, l1, l2,
                          optimizer, scaler, use_amp)
        if validation is not None:
            val_batches = _batches(*validation, max(batch_size, EVAL_BATCH_SIZE), device)
            val_logs = _run_epoch(model, val_batches, loss_fn, task, l1, l2, amp=use_amp)
            logs.update({f"val_{key}": value for key, value in val_logs.items()})
        logs["lr"] = float(optimizer.param_groups[0]["lr"])
        history.record(epoch, logs)

        if logs[monitor] < best:
            best, wait = logs[monitor], 0
            if early_stopping is not None and restore_best:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if checkpoint is not None:
                _save_checkpoint(model, checkpoint)
        else:
            wait += 1
        _notify(callbacks, "on_epoch_end", epoch, dict(logs))
        bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k != "lr"})
        if early_stopping is not None and wait >= early_stopping:
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    _notify(callbacks, "on_train_end", dict(logs))
    return history


def evaluate(model: nn.Module, X: Any, y: Any, batch_size: int = EVAL_BATCH_SIZE) -> dict[str, float]:
    """``{"loss": ..., "accuracy": ...}`` (no accuracy for a regression), in evaluation mode, on the
    model's device. The loss includes the L1/L2 penalties of ``model.config``, as in Keras."""
    device, task, was_training = _model_device(model), model_task(model), model.training
    l1, l2 = _penalties(model, None, None)
    Xt, Yt = _data(X, y, task, device)
    try:
        return _run_epoch(model, _batches(Xt, Yt, batch_size, device), default_loss(model), task, l1, l2)
    finally:
        model.train(was_training)


@torch.no_grad()
def _outputs(model: nn.Module, X: Any, batch_size: int) -> torch.Tensor:
    device, was_training = _model_device(model), model.training
    model.eval()
    inputs = _place(torch.as_tensor(np.asarray(X), dtype=torch.float32), device)
    outs = [model(inputs[i:i + batch_size].to(device, non_blocking=True)).float()
            for i in range(0, len(inputs), batch_size)]
    model.train(was_training)
    return torch.cat(outs).cpu()


def predict_proba(model: nn.Module, X: Any, batch_size: int = EVAL_BATCH_SIZE) -> np.ndarray:
    """Class probabilities, shape ``(n, n_outputs)``: the model returns logits, this applies the
    softmax (sigmoid for a binary model)."""
    task = model_task(model)
    if task == "regression":
        raise ValueError("a regression model has no class probabilities; use predict()")
    logits = _outputs(model, X, batch_size)
    probs = torch.softmax(logits, dim=1) if task == "multiclass" else torch.sigmoid(logits)
    return probs.numpy()


def predict(model: nn.Module, X: Any, batch_size: int = EVAL_BATCH_SIZE) -> np.ndarray:
    """Predicted labels for a classifier (like scikit-learn), predicted values for a regression."""
    task = model_task(model)
    outputs = _outputs(model, X, batch_size)
    if task == "multiclass":
        return outputs.argmax(dim=1).numpy()
    values = (outputs > 0).long() if task == "binary" else outputs
    return (values[:, 0] if values.shape[1] == 1 else values).numpy()


# ----------------------------------------------------------------------------- save and load

def _paths(path: str | Path) -> tuple[Path, Path]:
    path = Path(path)
    if path.suffix in (".pt", ".json"):
        path = path.with_suffix("")
    return path.with_name(path.name + ".pt"), path.with_name(path.name + ".json")


def save_model(model: nn.Module, path: str | Path) -> Path:
    """Save the weights (``state_dict``, ``.pt``) and the config (``.json``) side by side; returns
    the path of the ``.pt`` file.

    The config is ``model.config``, which :func:`build_mlp` attaches (for another network built
    from an :class:`~course.models.MLPConfig`, set ``model.config = config`` first).
    """
    config = getattr(model, "config", None)
    if not isinstance(config, MLPConfig):
        raise ValueError("save_model needs model.config, the MLPConfig the model was built from "
                         "(build_mlp attaches it)")
    weights, meta = _paths(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), weights)
    meta.write_text(config.to_json(), encoding="utf-8")
    return weights


def load_model(path: str | Path) -> nn.Module:
    """Rebuild the model from its config JSON and load its weights, on the CPU, in eval mode.

    Only tensors are read (``weights_only=True``): loading never runs code from the file.
    """
    weights, meta = _paths(path)
    model = build_mlp(MLPConfig.from_dict(json.loads(meta.read_text(encoding="utf-8"))))
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.eval()
