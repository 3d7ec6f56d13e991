"""Fashion-MNIST from Debian's dataset-fashion-mnist (installed by .ci/run)."""

import numpy as np
import pytest

from course.datasets import FASHION_MNIST_CLASSES, FASHION_MNIST_CLASSES_ES, load_fashion_mnist, store
from course.datasets.images import validation_count

pytestmark = pytest.mark.needs_data


def test_full_dataset_sizes_and_balance():
    (X_train, y_train), (X_valid, y_valid), (X_test, y_test) = load_fashion_mnist(validation=0, normalize=False)
    assert X_train.shape == (60000, 28, 28) and X_train.dtype == np.uint8
    assert X_test.shape == (10000, 28, 28)
    assert len(X_valid) == len(y_valid) == 0
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_validation_count_is_the_last_images():
    full = load_fashion_mnist(validation=0, normalize=False)
    data = load_fashion_mnist(validation=5000, normalize=False)
    assert len(data.train.X) == 55000 and len(data.valid.X) == 5000
    np.testing.assert_array_equal(data.valid.X, full.train.X[-5000:])
    np.testing.assert_array_equal(data.train.y, full.train.y[:-5000])


def test_validation_fraction():
    data = load_fashion_mnist(validation=0.2, flatten=True)
    assert data.train.X.shape == (48000, 784) and data.valid.X.shape == (12000, 784)
    assert data.train.X.dtype == np.float32 and 0.0 <= data.train.X.min() and data.train.X.max() <= 1.0


def test_class_names_at_hand():
    assert load_fashion_mnist().class_names == FASHION_MNIST_CLASSES
    assert FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_spanish_class_names_follow_the_labels():
    assert len(set(FASHION_MNIST_CLASSES_ES)) == len(FASHION_MNIST_CLASSES) == 10
    english_to_spanish = dict(zip(FASHION_MNIST_CLASSES, FASHION_MNIST_CLASSES_ES))
    assert english_to_spanish["Trouser"] == "pantalón" and english_to_spanish["Ankle boot"] == "botín"
    assert english_to_spanish["Shirt"] == "camisa" and english_to_spanish["T-shirt/top"] == "camiseta"


def test_second_load_comes_from_the_array_cache(monkeypatch):
    load_fashion_mnist()
    monkeypatch.setattr(store, "locate", lambda *a, **k: pytest.fail("IDX files parsed again"))
    assert load_fashion_mnist().test.X.shape == (10000, 28, 28)


@pytest.mark.parametrize("bad", [-1, 60000, 1.0, -0.1, True, "5000"])
def test_bad_validation_settings(bad):
    with pytest.raises((ValueError, TypeError)):
        validation_count(bad, 60000)


@pytest.mark.parametrize("flatten", [False, True])
@pytest.mark.parametrize("validation", [0, 0.0])
def test_no_validation_split(validation, flatten):
    data = load_fashion_mnist(validation=validation, flatten=flatten)
    width = (784,) if flatten else (28, 28)
    assert data.train.X.shape == (60000, *width) and data.valid.X.shape == (0, *width)
