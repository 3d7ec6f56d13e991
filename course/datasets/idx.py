"""Parsing and validation of IDX files (the MNIST family's format), plain or gzipped."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

import numpy as np

# IDX type codes -> NumPy dtypes (big-endian, as the format stores them).
_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class DataFileError(ValueError):
    """A data file is unreadable, truncated, malformed or fails its checksum."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def read_bytes(path: str | Path) -> bytes:
    """Return the decompressed content of ``path`` (gzip is detected by its magic bytes)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataFileError(path, f"corrupt or truncated gzip data ({exc})") from exc


def parse_idx(content: bytes, *, source: str | Path = "<bytes>", expected_dims: int | None = None) -> np.ndarray:
    """Parse IDX ``content`` into an array, checking the magic number, dimensions and size."""
    if len(content) < 4:
        raise DataFileError(source, "too short to hold an IDX header")
    zero0, zero1, type_code, ndim = content[0], content[1], content[2], content[3]
    if zero0 != 0 or zero1 != 0 or type_code not in _DTYPES:
        raise DataFileError(source, f"bad IDX magic number 0x{content[:4].hex()}")
    if ndim == 0:
        raise DataFileError(source, "IDX header declares zero dimensions")
    if expected_dims is not None and ndim != expected_dims:
        raise DataFileError(source, f"expected {expected_dims} dimension(s), header declares {ndim}")
    header = 4 + 4 * ndim
    if len(content) < header:
        raise DataFileError(source, "truncated IDX header")
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _DTYPES[type_code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(content) != expected:
        what = "truncated" if len(content) < expected else "has trailing bytes"
        raise DataFileError(
            source, f"{what}: shape {shape} needs {expected} bytes, file holds {len(content)}"
        )
    data = np.frombuffer(content, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def sha256(content: bytes) -> str:
    """Hex SHA-256 of ``content``."""
    return hashlib.sha256(content).hexdigest()


def write_idx(array: np.ndarray, path: str | Path, *, compress: bool = True) -> Path:
    """Write ``array`` (uint8) as an IDX file; used for fixtures and tests."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    content = header + array.tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(content) if compress else content)
    return path
