"""Helpers for the deep-learning course: datasets, plots, devices, seeds and reference models.

``import course`` stays light (no TensorFlow, Keras or PyTorch): submodules load on first use,
so ``course.keras`` pays for TensorFlow only in the notebooks that use it.
"""

from __future__ import annotations

import importlib
from typing import Any

from .config import budget, fast_mode, subset

__version__ = "0.1.0"

_SUBMODULES = {
    "claims", "cli", "config", "datasets", "device", "interface", "keras", "lr_finder", "meta", "models", "plots", "scratch",
    "solutions", "torch", "tuning",
}
_SHORTCUTS = {
    "claim": "claims",
    "load_fashion_mnist": "datasets",
    "get_device": "device",
    "describe_devices": "device",
    "set_seed": "device",
    "plot_history": "plots",
    "save_fig": "plots",
}

__all__ = ["__version__", "budget", "fast_mode", "subset", *sorted(_SUBMODULES), *sorted(_SHORTCUTS)]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _SHORTCUTS:
        return getattr(importlib.import_module(f"{__name__}.{_SHORTCUTS[name]}"), name)
    raise AttributeError(f"module 'course' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES | set(_SHORTCUTS))
