"""Predictions of a student's saved model: ``python -m autograder.evaluate``, run in the sandbox.

The grader (:func:`autograder.thresholds.evaluate`) hands this program checked copies of the
model's files and the inputs of its own data split, in a read-only folder; it never sees the
labels. It loads the model (a Keras ``.keras`` archive with ``safe_mode=True``, or a PyTorch
``state_dict`` with its ``MLPConfig`` JSON via ``course.torch.load_model``, ``weights_only=True``)
and writes the predictions as ``.npy``; the grader computes the metric itself.

On stdout, one JSON object a line: ``{"ready": true}`` once the framework is imported and the
inputs read (before the model is touched: a failure until then is the grader's), then
``{"ok": true, "n": N}`` or ``{"error": "..."}``. ``--probe`` builds a tiny model of its own
instead of loading one: the grader's preflight.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

FRAMEWORKS = ("keras", "torch")


def _say(**message: Any) -> None:
    print(json.dumps(message), flush=True)


def _fit_shape(X: np.ndarray, shape: tuple[int | None, ...]) -> np.ndarray:
    """Reshape the examples to the model's input shape when only the layout differs."""
    target = tuple(int(d) for d in shape[1:] if d is not None)
    if len(target) == len(shape) - 1 and target != X.shape[1:] and int(np.prod(target)) == int(np.prod(X.shape[1:])):
        return X.reshape((len(X),) + target)
    return X


def predict_keras(path: Path, X: np.ndarray) -> np.ndarray:
    import keras

    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise ValueError(f"{path.name} is not a Keras archive (save it with model.save(...))")
    model = keras.saving.load_model(path, safe_mode=True, compile=False)
    X = _fit_shape(X, tuple(model.inputs[0].shape))
    return np.asarray(model.predict(X, batch_size=512, verbose=0))


def predict_torch(path: Path, X: np.ndarray) -> np.ndarray:
    import torch

    from course.torch import load_model  # the course's contract: state_dict + MLPConfig JSON

    model = load_model(path)
    model.eval()
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


def tiny_model(framework: str, X: np.ndarray, folder: Path) -> Path:
    """A small untrained model for the inputs' shape, saved as students save theirs (the probe)."""
    if framework == "keras":
        import keras

        model = keras.Sequential([keras.Input(shape=X.shape[1:]), keras.layers.Flatten(), keras.layers.Dense(10)])
        path = folder / "probe.keras"
        model.save(path)
        return path
    from course.models import MLPConfig
    from course.torch import build_mlp, save_model

    config = MLPConfig(input_shape=X.shape[1:], hidden=(8,))
    return save_model(build_mlp(config), folder / "probe.pt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--framework", required=True, choices=FRAMEWORKS)
    parser.add_argument("--inputs", required=True, help="the grader's inputs (.npy)")
    parser.add_argument("--out", required=True, help="where to write the predictions (.npy)")
    model_or_probe = parser.add_mutually_exclusive_group(required=True)
    model_or_probe.add_argument("--model", help="the model file (.keras, or the .pt of a .pt/.json pair)")
    model_or_probe.add_argument("--probe", action="store_true", help="build and evaluate a tiny model of our own")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.framework == "keras":
        import keras  # noqa: F401 (imported before "ready": a failure here is the grader's)
    else:
        import torch  # noqa: F401

        import course.torch  # noqa: F401
    X = np.load(args.inputs, allow_pickle=False).astype("float32")
    _say(ready=True)
    try:
        model = tiny_model(args.framework, X, Path(tempfile.gettempdir())) if args.probe else Path(args.model)
        pred = (predict_keras if args.framework == "keras" else predict_torch)(model, X)
        np.save(args.out, np.asarray(pred, dtype=np.float32))
    except Exception as exc:  # the model is the student's: any failure is a message, not a crash
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        _say(error=f"{type(exc).__name__}: {first}")
        return 1
    _say(ok=True, n=int(len(pred)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
