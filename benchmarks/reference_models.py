"""Trains the reference model of each framework (course.solutions) on the full Fashion-MNIST, on the
two splits the course uses, and prints one JSON object per run:

    {"framework": "keras", "split": "55k/5k", "train": 55000, "valid": 5000, "val_accuracy": ...,
     "test_accuracy": ..., "epochs": ..., "best_epoch": ..., "seconds": ..., "cpu_seconds": ...,
     "load": [...]}

- ``split``: ``55k/5k`` is the kit's default (``load_fashion_mnist(validation=5000)``); ``48k/12k``
  is 07_regularization's (``validation=0.2``, the split its grader measures on). The test set is
  always the 10,000 test images.
- ``seconds``: wall-clock training time (``fit``); ``cpu_seconds``: the CPU time of this process
  during it (all threads), which another job sharing the cores slows less than the wall clock;
  ``load``: the 1-minute load average before and after the run (``os.getloadavg``), to read the
  seconds with. ``best_epoch`` (from 1) is the epoch whose weights the model keeps.

Usage: ``python benchmarks/reference_models.py [--framework keras|torch] [--split 55k/5k|48k/12k]
[--fast]`` (both repeatable; default all; ``--fast``: the fast-mode subset, a smoke test of this
script, not a measurement).
"""

from __future__ import annotations

import os

# PyTorch's OpenMP threads spin while they wait for work: on a CPU shared with other processes
# that wastes most of the time. Passive waiting costs nothing when the CPU is free.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from course.datasets import load_fashion_mnist  # noqa: E402
from course.solutions import FAST_TRAIN, FAST_VALID, FRAMEWORKS, train_reference  # noqa: E402

# Name -> the ``validation`` argument of load_fashion_mnist.
SPLITS: dict[str, float | int] = {"55k/5k": 5000, "48k/12k": 0.2}


def accuracy(framework: str, model: Any, X: Any, y: Any) -> float:
    if framework == "keras":
        from course.keras import evaluate
    else:
        from course.torch import evaluate
    return evaluate(model, X, y)["accuracy"]


def run(framework: str, data: Any, split: str = "", fast: bool = False) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    history = train_reference(framework, data, fast=fast)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    model = history.model
    val = history.history["val_accuracy"]
    n_train, n_valid = len(data.train.X), len(data.valid.X)
    if fast:  # train_reference trains on subsets
        n_train, n_valid = min(n_train, FAST_TRAIN), min(n_valid, FAST_VALID)
    return {"framework": framework, "split": split, "train": n_train, "valid": n_valid,
            "val_accuracy": round(accuracy(framework, model, *data.valid), 4),
            "test_accuracy": round(accuracy(framework, model, *data.test), 4),
            "epochs": len(history.epoch), "best_epoch": val.index(max(val)) + 1,
            "seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds, 1),
            "load": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=FRAMEWORKS, action="append",
                        help="only this framework (repeatable); default both")
    parser.add_argument("--split", choices=list(SPLITS), action="append",
                        help="only this split (repeatable); default both")
    parser.add_argument("--fast", action="store_true", help="fast-mode subset and epochs (smoke test)")
    args = parser.parse_args(argv)
    for split in args.split or list(SPLITS):
        data = load_fashion_mnist(validation=SPLITS[split])
        for framework in args.framework or FRAMEWORKS:
            print(json.dumps(run(framework, data, split, fast=args.fast)), flush=True)


if __name__ == "__main__":
    main()
