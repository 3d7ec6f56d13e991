"""One registry of datasets (course.datasets.DATASETS): the CLI and the autograder read it."""

import numpy as np
import pytest

from course.datasets import DATASETS, FASHION_MNIST, MNIST, get_dataset


def test_the_registry_names_every_dataset_once():
    assert list(DATASETS) == ["fashion-mnist", "mnist", "iris", "regression"]
    assert DATASETS["fashion-mnist"].idx is FASHION_MNIST and DATASETS["mnist"].idx is MNIST
    assert {name for name, d in DATASETS.items() if d.bundled} == {"iris", "regression"}
    assert all(name == d.name and d.description for name, d in DATASETS.items())


def test_underscores_and_hyphens_alike():
    assert get_dataset("fashion_mnist") is get_dataset("fashion-mnist") is DATASETS["fashion-mnist"]
    with pytest.raises(ValueError, match="fashion-mnist, mnist, iris, regression"):
        get_dataset("cifar10")


def test_cli_and_autograder_take_their_names_from_it():
    from autograder import thresholds
    from course import cli

    assert cli.DATASETS == tuple(DATASETS)
    assert thresholds.DATASETS == ("fashion-mnist", "mnist", "regression")  # those with splits


def test_splits_of_a_bundled_set_for_the_grader():
    from autograder.thresholds import load_split

    X, y = load_split("regression", 0.2, "valid")
    assert X.shape == (88, 10) and y.dtype == np.float32
    with pytest.raises(ValueError, match="no train/valid/test splits"):
        load_split("iris", 0.2, "valid")
