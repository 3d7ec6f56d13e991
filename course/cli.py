"""The ``course`` command: ``course info`` and ``course data fetch|status``."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from importlib import metadata
from typing import Sequence

from .datasets import DatasetNotFoundError
from .datasets.registry import DATASETS as _REGISTRY
from .datasets.store import cache_arrays, locate

DATASETS = tuple(_REGISTRY)  # the names of course.datasets' registry
_PACKAGES = ("dl-course-kit", "numpy", "matplotlib", "scikit-learn", "tensorflow", "keras",
             "keras-tuner", "torch", "optuna", "nbgrader")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _status(name: str, *, download: bool) -> tuple[bool, str]:
    """Locate (or fetch) one dataset; return (ok, where-or-why)."""
    entry = _REGISTRY[name]
    if entry.idx is None:
        entry.load()
        return True, "bundled with scikit-learn"
    dataset = entry.idx
    try:
        located, contents = locate(dataset, download=download, warn=lambda msg: print(f"  warning: {msg}"))
        if download:
            cache_arrays(dataset, contents)  # the parsed-array cache, from the files just verified
    except DatasetNotFoundError as exc:
        return False, str(exc)
    return True, located.describe()


def cmd_info(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's start-up chatter is not news here
    from .device import describe_devices

    print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}")
    for dist in _PACKAGES:
        print(f"  {dist:<14} {_version(dist)}")
    print("Devices:")
    for framework, info in describe_devices().items():
        if not info.get("installed"):
            print(f"  {framework:<11} not installed")
        elif "error" in info:
            print(f"  {framework:<11} error: {info['error']}")
        else:
            gpus = ", ".join(f"{g['name']}" + (f" ({g['memory_gb']} GiB)" if "memory_gb" in g else "")
                             for g in info["gpus"]) or "no GPU, using the CPU"
            print(f"  {framework:<11} {gpus}; default device {info['best']}")
    print("Data (no download):")
    for name in DATASETS:
        ok, where = _status(name, download=False)
        print(f"  {name:<14} {where if ok else 'missing (run: course data fetch ' + name + ')'}")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    names = args.names or list(DATASETS)
    failed = []
    for name in names:
        start = time.perf_counter()
        ok, where = _status(name, download=args.action == "fetch")
        took = time.perf_counter() - start
        if ok:
            print(f"{name}: ok ({where}) [{took:.1f}s]")
        else:
            failed.append(name)
            print(f"{name}: NOT AVAILABLE\n  " + where.replace("\n", "\n  "))
    if failed:
        print(f"{len(failed)} dataset(s) unavailable: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="Deep-learning course kit helpers.")
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="versions, devices (CPU/GPU for TF and PyTorch) and data status")
    info.set_defaults(func=cmd_info)
    data = sub.add_parser("data", help="find or download the datasets")
    data.add_argument("action", choices=["fetch", "status"],
                      help="fetch: locate or download and cache; status: only look")
    data.add_argument("names", nargs="*", choices=[[], *DATASETS], metavar="NAME",
                      help=f"datasets to handle (default: all of {', '.join(DATASETS)})")
    data.set_defaults(func=cmd_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
