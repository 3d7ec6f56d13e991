"""Devices, seeds and timing for both frameworks; everything works on a machine with no GPU."""

from __future__ import annotations

import importlib
import importlib.util
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

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


# ----------------------------------------------------------------------------- timing


def synchronize(device: Any = None) -> None:
    """Wait until ``device`` has finished the work queued on it.

    GPU kernels run asynchronously: a PyTorch call on CUDA (or MPS) returns as soon as the work
    is queued. ``device`` is a ``torch.device`` or a string (``"cuda"``, ``"cuda:1"``, ``"mps"``,
    ``"cpu"``...); on the CPU (or ``None``) there is nothing to wait for.
    """
    if device is None:
        return
    kind = device.type if hasattr(device, "type") else str(device).split(":")[0]
    if kind == "cuda":
        import torch

        torch.cuda.synchronize(device)
    elif kind == "mps":
        import torch

        torch.mps.synchronize()


@dataclass(frozen=True)
class Timing:
    """The seconds each timed call of :func:`benchmark` took."""

    times: tuple[float, ...]

    @property
    def best(self) -> float:
        """The fastest call: the least disturbed by other programs."""
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.times)


def benchmark(fn: Callable[[], Any], repeats: int = 5, *, warmup: int = 1, sync: Any = None,
              clock: Callable[[], float] = time.perf_counter) -> Timing:
    """Time ``fn()`` ``repeats`` times, after ``warmup`` untimed calls; returns a :class:`Timing`.

    ``sync`` says how to wait for the device before reading the clock: a device (``"cuda"``, a
    ``torch.device``: see :func:`synchronize`) or any function of no arguments. Without it, on a
    GPU you would time how long it takes to *queue* the work, not to do it. The warm-up calls
    leave out one-off costs (memory allocation, kernel selection, caches).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, got {warmup}")
    if sync is None or callable(sync):
        wait = sync or (lambda: None)
    else:
        def wait() -> None:
            synchronize(sync)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        wait()  # nothing queued before may leak into this measurement
        start = clock()
        fn()
        wait()
        times.append(clock() - start)
    return Timing(tuple(times))
