"""Compute a metric of a saved model on the grader's own data: ``python -m autograder.evaluate``.

Runs in a fresh process that never ran the student's code, and trusts nothing but the model
file: a Keras ``.keras`` archive (loaded with ``safe_mode=True``, so no arbitrary code) or a
PyTorch ``state_dict`` with its ``MLPConfig`` JSON (loaded by ``course.torch.load_model`` with
``weights_only=True``). Prints one JSON line: ``{"value": ..., "n": ...}`` or ``{"error": ...}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

DATASETS = ("fashion_mnist", "regression")
METRICS = ("accuracy", "mse", "mae")


def load_split(dataset: str, validation: float, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The grader's ``(X, y)``: ``split`` is ``train``, ``valid`` or ``test``."""
    from course import datasets

    if dataset == "fashion_mnist":
        splits = datasets.load_fashion_mnist(validation=validation, normalize=True, flatten=False)
    elif dataset == "regression":
        splits = datasets.load_regression(validation=float(validation))
    else:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")
    part = {"train": splits[0], "valid": splits[1], "test": splits[2]}[split]
    return np.asarray(part[0]), np.asarray(part[1])


def _fit_shape(X: np.ndarray, shape: tuple[int | None, ...]) -> np.ndarray:
    """Reshape the examples to the model's input shape when only the layout differs."""
    target = tuple(int(d) for d in shape[1:] if d is not None)
    if len(target) == len(shape) - 1 and target != X.shape[1:] and int(np.prod(target)) == int(np.prod(X.shape[1:])):
        return X.reshape((len(X),) + target)
    return X


def predict_keras(path: Path, X: np.ndarray) -> np.ndarray:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    model = keras.saving.load_model(path, safe_mode=True, compile=False)
    X = _fit_shape(X.astype("float32"), tuple(model.inputs[0].shape))
    return np.asarray(model.predict(X, batch_size=512, verbose=0))


def predict_torch(path: Path, X: np.ndarray) -> np.ndarray:
    import torch

    from course.torch import load_model  # the course's contract: state_dict + MLPConfig JSON

    model = load_model(path)
    model.eval()
    X = X.astype("float32")
    errors = []
    # An MLP takes flat vectors; a convolutional net (N, 1, H, W); try the layouts in that order.
    for shaped in (X.reshape(len(X), -1), X.reshape((len(X), 1) + X.shape[1:]), X):
        try:
            with torch.no_grad():
                out = [model(torch.from_numpy(np.ascontiguousarray(shaped[i:i + 1024]))) for i in range(0, len(X), 1024)]
            return torch.cat(out).numpy()
        except (RuntimeError, ValueError) as exc:
            errors.append(str(exc).splitlines()[0])
    raise ValueError(f"the model accepts none of the input layouts tried: {errors}")


def metric(name: str, y: np.ndarray, pred: np.ndarray) -> float:
    if name == "accuracy":
        if pred.ndim == 2 and pred.shape[1] > 1:
            labels = pred.argmax(axis=1)
        else:  # one output: a probability or a logit of the positive class
            flat = pred.reshape(len(pred))
            labels = (flat > (0.5 if flat.min() >= 0 and flat.max() <= 1 else 0.0)).astype(int)
        return float(np.mean(labels == y.reshape(len(y))))
    diff = pred.reshape(len(pred), -1)[:, 0] - y.reshape(len(y))
    if name == "mse":
        return float(np.mean(diff ** 2))
    if name == "mae":
        return float(np.mean(np.abs(diff)))
    raise ValueError(f"unknown metric {name!r}; expected one of {METRICS}")


def framework_of(path: Path, framework: str) -> str:
    if framework != "auto":
        return framework
    return "keras" if path.suffix in (".keras", ".h5") else "torch"


def evaluate(model: str | Path, dataset: str = "fashion_mnist", validation: float = 5000, split: str = "valid",
             metric_name: str = "accuracy", framework: str = "auto") -> dict[str, Any]:
    path = Path(model)
    kind = framework_of(path, framework)
    if kind == "keras" and path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise ValueError(f"{path.name} is not a Keras archive (save it with model.save(...))")
    X, y = load_split(dataset, validation, split)
    pred = predict_keras(path, X) if kind == "keras" else predict_torch(path, X)
    if len(pred) != len(y):
        raise ValueError(f"the model gave {len(pred)} predictions for {len(y)} examples")
    return {"metric": metric_name, "value": metric(metric_name, y, pred), "n": int(len(y)), "framework": kind}


def _number(text: str) -> float:
    value = float(text)
    return int(value) if value.is_integer() and value >= 1 else value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", default="fashion_mnist", choices=DATASETS)
    parser.add_argument("--validation", type=_number, default=5000)
    parser.add_argument("--split", default="valid", choices=("train", "valid", "test"))
    parser.add_argument("--metric", default="accuracy", choices=METRICS)
    parser.add_argument("--framework", default="auto", choices=("auto", "keras", "torch"))
    args = parser.parse_args(argv)
    try:
        result = evaluate(args.model, args.dataset, args.validation, args.split, args.metric, args.framework)
    except Exception as exc:  # the model is the student's: any failure is a message, not a crash
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        print(json.dumps({"error": f"no se pudo evaluar el modelo ({type(exc).__name__}: {first})"}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
