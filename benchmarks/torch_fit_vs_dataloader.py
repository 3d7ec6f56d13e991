"""Prints the training throughput of ``course.torch.fit`` against a plain ``DataLoader`` loop.

Same model (the reference MLP of ``course.solutions``), same data (Fashion-MNIST's training
split, ``--samples`` images), same batch size (the reference's, or ``--batch-size``), same
optimizer (Adam), on the CPU and, where there is one, on the GPU. One JSON line per device and
loop: ``{"device": ..., "loop": "course.torch.fit" | "DataLoader", "samples_per_s": ...}``; the
first epoch is a warm-up and is not timed. ``fit`` runs as a student calls it (``amp="auto"``:
float16 on a GPU); ``--no-amp`` turns that off for a like-for-like loop.

    python benchmarks/torch_fit_vs_dataloader.py [--samples 20000] [--epochs 3] [--batch-size N] [--no-amp]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from course.datasets import load_fashion_mnist  # noqa: E402
from course.solutions import build_reference, reference  # noqa: E402
from course.torch import fit  # noqa: E402


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def kit_loop(X, y, device: str, epochs: int, batch_size: int, amp: bool) -> float:
    """Samples per second of ``course.torch.fit`` (epochs after the first)."""
    model = build_reference("torch")
    fit(model, (X, y), epochs=1, batch_size=batch_size, device=device, progress=False, amp="auto" if amp else False)
    _sync(device)
    start = time.perf_counter()
    fit(model, (X, y), epochs=epochs, batch_size=batch_size, device=device, progress=False,
        amp="auto" if amp else False)
    _sync(device)
    return epochs * len(X) / (time.perf_counter() - start)


def plain_loop(X, y, device: str, epochs: int, batch_size: int) -> float:
    """Samples per second of the textbook loop: a DataLoader, each batch sent to the device."""
    model = build_reference("torch").to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)),
                        batch_size=batch_size, shuffle=True)

    def epoch() -> None:
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()

    epoch()
    _sync(device)
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    _sync(device)
    return epochs * len(X) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20000, help="training images (default 20000)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs, after one warm-up (default 3)")
    parser.add_argument("--batch-size", type=int, help="default: the reference's")
    parser.add_argument("--no-amp", action="store_true", help="fit without mixed precision on the GPU")
    args = parser.parse_args(argv)
    batch_size = args.batch_size or reference("torch").training.batch_size
    X, y = load_fashion_mnist(validation=5000)[0]
    X, y = X[: args.samples], y[: args.samples]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        for name, rate in (("course.torch.fit", kit_loop(X, y, device, args.epochs, batch_size, not args.no_amp)),
                           ("DataLoader", plain_loop(X, y, device, args.epochs, batch_size))):
            print(json.dumps({"device": device, "loop": name, "batch_size": batch_size, "samples": len(X),
                              "samples_per_s": round(rate)}), flush=True)


if __name__ == "__main__":
    main()
