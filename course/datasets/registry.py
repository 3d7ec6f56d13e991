"""Every dataset of the course by name, in one table: the CLI (``course data``) and the autograder
(``dataset = "..."`` in ``thresholds.toml``) read their names and loaders from here.

Names are written with hyphens (``fashion-mnist``); :func:`get_dataset` also accepts underscores
(``fashion_mnist``), the spelling of the autograder's TOML files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .images import FASHION_MNIST, MNIST, Splits, load_fashion_mnist, load_mnist
from .store import IDXDataset
from .tabular import load_iris, load_regression


@dataclass(frozen=True)
class Dataset:
    """One dataset of the course.

    - ``idx``: the files to find or download (``None``: bundled with scikit-learn, always offline);
    - ``load``: loads it with its defaults;
    - ``splits``: ``splits(validation)`` gives ``(train, valid, test)`` as the autograder uses them
      (pixels scaled to [0, 1]); ``None`` for a set without splits (iris).
    """

    name: str
    description: str
    load: Callable[[], Any]
    idx: IDXDataset | None = None
    splits: Callable[[int | float], Splits] | None = None

    @property
    def bundled(self) -> bool:
        return self.idx is None


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("fashion-mnist", "Fashion-MNIST: 70,000 28x28 garment images, 10 classes", load_fashion_mnist,
            idx=FASHION_MNIST, splits=lambda validation: load_fashion_mnist(validation=validation)),
    Dataset("mnist", "MNIST: 70,000 28x28 handwritten digits (download only)", load_mnist,
            idx=MNIST, splits=lambda validation: load_mnist(validation=validation)),
    Dataset("iris", "Iris: 150 flowers, 4 features, 3 classes (scikit-learn)", load_iris),
    Dataset("regression", "Diabetes: 442 patients, 10 features, a regression (scikit-learn)", load_regression,
            splits=lambda validation: load_regression(validation=float(validation))),
)}


def canonical_name(name: str) -> str:
    """``fashion_mnist`` -> ``fashion-mnist``: the registry's spelling."""
    return name.strip().lower().replace("_", "-")


def get_dataset(name: str) -> Dataset:
    """The dataset called ``name`` (hyphens or underscores); ``ValueError`` names the known ones."""
    try:
        return DATASETS[canonical_name(name)]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; expected one of: {', '.join(DATASETS)}") from None
