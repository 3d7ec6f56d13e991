"""Devices and seeds for both frameworks; everything works on a machine with no GPU."""

from __future__ import annotations

import importlib
import importlib.util
import os
import random
import sys
from typing import Any, Iterable

import numpy as np

FRAMEWORKS = ("tensorflow", "torch")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def get_device(prefer: str | None = None) -> Any:
    """The best PyTorch device: CUDA, then Apple's MPS, then the CPU (a ``torch.device``).

    ``prefer`` (``"cpu"``, ``"cuda:1"``...) forces a device.
    """
    import torch

    if prefer:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _torch_devices() -> dict[str, Any]:
    import torch

    gpus = []
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        gpus.append({"index": i, "name": props.name, "memory_gb": round(props.total_memory / 2**30, 1)})
    mps = getattr(torch.backends, "mps", None)
    return {"version": torch.__version__, "cuda": torch.version.cuda, "gpus": gpus,
            "mps": bool(mps is not None and mps.is_available()), "best": str(get_device())}


def _tf_devices() -> dict[str, Any]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    gpus = []
    for i, gpu in enumerate(tf.config.list_physical_devices("GPU")):
        details = tf.config.experimental.get_device_details(gpu)
        gpus.append({"index": i, "name": details.get("device_name", gpu.name)})
    return {"version": tf.__version__, "gpus": gpus, "best": "GPU:0" if gpus else "CPU:0"}


def describe_devices(frameworks: Iterable[str] = FRAMEWORKS) -> dict[str, dict[str, Any]]:
    """Per framework: its version, its GPUs (names, memory) and the device it will use.

    A framework that is not installed is reported as such rather than raising.
    """
    report: dict[str, dict[str, Any]] = {}
    for name in frameworks:
        if not _installed(name):
            report[name] = {"installed": False}
            continue
        try:
            info = _torch_devices() if name == "torch" else _tf_devices()
        except Exception as exc:  # a broken driver must not stop `course info`
            info = {"error": f"{type(exc).__name__}: {exc}"}
        report[name] = {"installed": True, **info}
    return report


def set_seed(seed: int = 42, *, frameworks: str | Iterable[str] = "loaded", deterministic: bool = False) -> int:
    """Seed Python, NumPy and the deep-learning frameworks; return ``seed``.

    ``frameworks="loaded"`` seeds TensorFlow/Keras and PyTorch only if they are already imported
    (call it after your imports, so a NumPy-only notebook never pays for TensorFlow);
    ``"installed"`` imports and seeds every installed one; or name them, e.g. ``["torch"]``.
    ``deterministic=True`` also asks the frameworks for deterministic kernels (slower).
    """
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    if frameworks == "loaded":
        chosen = [f for f in FRAMEWORKS if f in sys.modules or (f == "tensorflow" and "keras" in sys.modules)]
    elif frameworks == "installed":
        chosen = [f for f in FRAMEWORKS if _installed(f)]
    else:
        chosen = list(frameworks)
    for name in chosen:
        if name == "torch":
            import torch

            torch.manual_seed(seed)
            torch.cuda.manual_seed_all(seed)
            if deterministic:
                torch.use_deterministic_algorithms(True, warn_only=True)
                torch.backends.cudnn.benchmark = False
        elif name == "tensorflow":
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            import keras

            keras.utils.set_random_seed(seed)
            if deterministic:
                import tensorflow as tf

                tf.config.experimental.enable_op_determinism()
        else:
            raise ValueError(f"unknown framework {name!r}; expected one of {FRAMEWORKS}")
    return seed
