"""Trains the reference model of each framework (course.solutions) on the full Fashion-MNIST
(55,000 training / 5,000 validation images) and prints one JSON object per line:

    {"framework": "keras", "val_accuracy": ..., "test_accuracy": ..., "epochs": ..., "seconds": ...}

``seconds`` is the training time (``fit``), ``epochs`` the epochs it ran. Usage:
``python benchmarks/reference_models.py [--framework keras|torch] [--fast]`` (``--fast``: the
fast-mode subset, a smoke test of this script, not a measurement).
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
from course.solutions import FRAMEWORKS, train_reference  # noqa: E402


def accuracy(framework: str, model: Any, X: Any, y: Any) -> float:
    if framework == "keras":
        from course.keras import evaluate
    else:
        from course.torch import evaluate
    return evaluate(model, X, y)["accuracy"]


def run(framework: str, data: Any, fast: bool = False) -> dict[str, Any]:
    start = time.perf_counter()
    history = train_reference(framework, data, fast=fast)
    seconds = time.perf_counter() - start
    model = history.model
    return {"framework": framework,
            "val_accuracy": round(accuracy(framework, model, *data.valid), 4),
            "test_accuracy": round(accuracy(framework, model, *data.test), 4),
            "epochs": len(history.epoch),
            "seconds": round(seconds, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=FRAMEWORKS, action="append",
                        help="only this framework (repeatable); default both")
    parser.add_argument("--fast", action="store_true", help="fast-mode subset and epochs (smoke test)")
    args = parser.parse_args(argv)
    data = load_fashion_mnist(validation=5000)
    for framework in args.framework or FRAMEWORKS:
        print(json.dumps(run(framework, data, fast=args.fast)), flush=True)


if __name__ == "__main__":
    main()
