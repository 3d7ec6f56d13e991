"""Datasets of the course: Fashion-MNIST first (offline first, checksummed), then the small ones.

>>> (X_train, y_train), (X_valid, y_valid), (X_test, y_test) = load_fashion_mnist()
"""

from .idx import DataFileError, parse_idx
from .images import (
    FASHION_MNIST,
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_CLASSES_ES,
    MNIST,
    MNIST_CLASSES,
    XY,
    Splits,
    load_fashion_mnist,
    load_mnist,
)
from .registry import DATASETS, Dataset, get_dataset
from .store import DatasetNotFoundError, cache_dir, locate
from .synthetic import make_circles, make_moons, make_spirals, make_xor
from .tabular import IRIS_CLASSES, load_iris, load_regression

__all__ = [
    "DATASETS", "DataFileError", "Dataset", "DatasetNotFoundError", "FASHION_MNIST", "FASHION_MNIST_CLASSES", "FASHION_MNIST_CLASSES_ES",
    "IRIS_CLASSES", "MNIST", "MNIST_CLASSES", "Splits", "XY", "cache_dir", "load_fashion_mnist", "load_iris",
    "get_dataset", "load_mnist", "load_regression", "locate", "make_circles", "make_moons", "make_spirals",
    "make_xor", "parse_idx",
]
