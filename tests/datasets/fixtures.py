"""Tiny generated IDX datasets, with real checksums, for the loader's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course.datasets.idx import sha256, write_idx
from course.datasets.store import FileSpec, IDXDataset

ROLES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def tiny_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, (40, 4, 4), dtype=np.uint8),
        "train_labels": (np.arange(40) % 10).astype(np.uint8),
        "test_images": rng.integers(0, 256, (10, 4, 4), dtype=np.uint8),
        "test_labels": np.arange(10, dtype=np.uint8),
    }


def write_tiny(folder: Path, arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Write the four tiny IDX files into ``folder``."""
    arrays = arrays or tiny_arrays()
    folder.mkdir(parents=True, exist_ok=True)
    for role, name in ROLES.items():
        write_idx(arrays[role], folder / name)
    return folder


def tiny_dataset(tmp: Path, *, mirror: Path | None = None, system: Path | None = None,
                 key: str = "tiny") -> IDXDataset:
    """A dataset spec whose checksums match :func:`tiny_arrays`."""
    arrays = tiny_arrays()
    files = {}
    for role, name in ROLES.items():
        a = arrays[role]
        header = bytes([0, 0, 8, a.ndim]) + b"".join(d.to_bytes(4, "big") for d in a.shape)
        files[role] = FileSpec(name, a.ndim, sha256=sha256(header + a.tobytes()))
    return IDXDataset(
        key=key,
        files=files,
        mirrors=(mirror.as_uri(),) if mirror else ("http://127.0.0.1:9/unreachable",),
        system_dirs=(system,) if system else (),
        install_hint="install the tiny package",
    )
