"""Image classification datasets: Fashion-MNIST (offline first) and MNIST."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, TypeVar

import numpy as np

from .store import FileSpec, IDXDataset, load_idx_arrays

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
# The same classes in Spanish, for what students read (plot titles, printed tables).
FASHION_MNIST_CLASSES_ES = (
    "camiseta", "pantalón", "jersey", "vestido", "abrigo",
    "sandalia", "camisa", "zapatilla", "bolso", "botín",
)
MNIST_CLASSES = tuple(str(d) for d in range(10))

_IDX_NAMES = {
    "train_images": ("train-images-idx3-ubyte.gz", 3),
    "train_labels": ("train-labels-idx1-ubyte.gz", 1),
    "test_images": ("t10k-images-idx3-ubyte.gz", 3),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", 1),
}

FASHION_MNIST = IDXDataset(
    key="fashion-mnist",
    files={
        role: FileSpec(name, ndim, sha256=digest)
        for (role, (name, ndim)), digest in zip(_IDX_NAMES.items(), (
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ))
    },
    mirrors=(
        "https://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets",
    ),
    system_dirs=(
        Path("/usr/share/datasets/fashion-mnist"),
        Path("~/.keras/datasets/fashion-mnist"),
    ),
    install_hint="install Debian's package: sudo apt-get install dataset-fashion-mnist",
    class_names=FASHION_MNIST_CLASSES,
)

# MNIST: download only (no Debian package). Checksums are those of the served .gz files.
MNIST = IDXDataset(
    key="mnist",
    files={
        role: FileSpec(name, ndim, md5=digest)
        for (role, (name, ndim)), digest in zip(_IDX_NAMES.items(), (
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "d53e105ee54ea40749a09fcbcd1e9432",
            "9fb629c4189551a2d022fa330f9573f3",
            "ec29112dd5afa0611ce80d1b7f02629c",
        ))
    },
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist",
        "https://storage.googleapis.com/cvdf-datasets/mnist",
    ),
    system_dirs=(Path("~/.keras/datasets/mnist"),),
    class_names=MNIST_CLASSES,
)


class XY(NamedTuple):
    """Features and labels of one split."""

    X: np.ndarray
    y: np.ndarray


class Splits(NamedTuple):
    """``(train, valid, test)``; each an ``(X, y)`` pair. ``valid`` is empty when not asked for."""

    train: XY
    valid: XY
    test: XY

    @property
    def class_names(self) -> tuple[str, ...]:
        """Names of the classes, indexed by label (empty for regression sets)."""
        return getattr(self, "_class_names", ())


S = TypeVar("S", bound=Splits)


class FashionMNISTSplits(Splits):
    """Fashion-MNIST splits; ``class_names`` gives the ten garment names."""

    __slots__ = ()
    _class_names = FASHION_MNIST_CLASSES


class MNISTSplits(Splits):
    """MNIST splits; ``class_names`` are the digits."""

    __slots__ = ()
    _class_names = MNIST_CLASSES


def validation_count(validation: int | float, n: int) -> int:
    """How many of ``n`` training examples a ``validation`` setting holds out.

    An ``int`` is a count, a ``float`` in [0, 1) a fraction; 0 (or 0.0) means no validation split.
    """
    if isinstance(validation, (bool, np.bool_)):
        raise TypeError(f"validation must be a count or a fraction, got {validation!r}")
    if isinstance(validation, (float, np.floating)):
        if not 0.0 <= validation < 1.0:
            raise ValueError(f"a validation fraction must lie in [0, 1), got {validation}")
        return int(round(float(validation) * n))
    if isinstance(validation, (int, np.integer)):
        if not 0 <= validation < n:
            raise ValueError(f"a validation count must lie in [0, {n}), got {validation}")
        return int(validation)
    raise TypeError(f"validation must be a count or a fraction, got {validation!r}")


def _prepare(images: np.ndarray, normalize: bool, flatten: bool) -> np.ndarray:
    # The feature count is spelled out: ``reshape(0, -1)`` cannot infer it for an empty split.
    out = images.reshape(len(images), int(np.prod(images.shape[1:]))) if flatten else images
    return (out.astype(np.float32) / 255.0) if normalize else out.copy()


def _image_splits(dataset: IDXDataset, cls: type[S], validation: int | float, normalize: bool,
                  flatten: bool, data_dir: str | Path | None, download: bool) -> S:
    arrays = load_idx_arrays(dataset, data_dir, download=download)
    x_full, y_full = arrays["train_images"], arrays["train_labels"].astype(np.int64)
    x_test, y_test = arrays["test_images"], arrays["test_labels"].astype(np.int64)
    n_valid = validation_count(validation, len(x_full))
    cut = len(x_full) - n_valid  # the last N training images form the validation set
    return cls(
        XY(_prepare(x_full[:cut], normalize, flatten), y_full[:cut]),
        XY(_prepare(x_full[cut:], normalize, flatten), y_full[cut:]),
        XY(_prepare(x_test, normalize, flatten), y_test),
    )


def load_fashion_mnist(validation: int | float = 5000, normalize: bool = True, flatten: bool = False,
                       data_dir: str | Path | None = None, download: bool = True) -> FashionMNISTSplits:
    """Fashion-MNIST as ``(X_train, y_train), (X_valid, y_valid), (X_test, y_test)``.

    Args:
        validation: last N training images (int) or a fraction of them (float, e.g. 0.2)
            held out for validation; 0 for none.
        normalize: scale pixels to float32 in [0, 1] (otherwise uint8 0-255).
        flatten: images as vectors of 784 values instead of 28x28.
        data_dir: a folder to look in first.
        download: allow a download when no valid local copy exists.
    """
    return _image_splits(FASHION_MNIST, FashionMNISTSplits, validation, normalize, flatten, data_dir, download)


def load_mnist(validation: int | float = 5000, normalize: bool = True, flatten: bool = False,
               data_dir: str | Path | None = None, download: bool = True) -> MNISTSplits:
    """MNIST digits, with the same interface as :func:`load_fashion_mnist` (needs a download)."""
    return _image_splits(MNIST, MNISTSplits, validation, normalize, flatten, data_dir, download)
