"""Every documented combination of the image loaders' options.

``load_mnist`` and ``load_fashion_mnist`` share ``_image_splits``; both are run here on the tiny
generated IDX files of ``fixtures.py`` (MNIST is never available offline), so these tests need
neither the network nor Debian's package. ``test_images.py`` checks the real Fashion-MNIST.
"""

from __future__ import annotations

import numpy as np
import pytest

from course.datasets import images
from course.datasets.images import FashionMNISTSplits, MNISTSplits, load_fashion_mnist, load_mnist

from .fixtures import tiny_arrays, tiny_dataset, write_tiny

N_TRAIN, SIDE = 40, 4  # tiny_arrays(): 40 training and 10 test images of 4x4

LOADERS = {"fashion": ("FASHION_MNIST", load_fashion_mnist, FashionMNISTSplits),
           "mnist": ("MNIST", load_mnist, MNISTSplits)}
# validation setting -> images held out of the 40 training ones
# (a list: as dict keys 0 and 0.0 are one key, and the float would go untested)
VALIDATIONS = [(0, 0), (0.0, 0), (7, 7), (0.25, 10), (0.01, 0), (39, 39)]


@pytest.fixture(params=sorted(LOADERS))
def loader(request, tmp_path, monkeypatch):
    """The loader with its dataset spec replaced by the tiny one (no download, own cache)."""
    attr, load, cls = LOADERS[request.param]
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    system = write_tiny(tmp_path / "system")
    monkeypatch.setattr(images, attr, tiny_dataset(tmp_path, system=system, key=f"tiny-{request.param}"))
    return load, cls


@pytest.mark.parametrize("flatten", [False, True])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("validation, n_valid", VALIDATIONS,
                         ids=[f"{type(v).__name__}{v}" for v, _ in VALIDATIONS])
def test_every_combination(loader, validation, n_valid, normalize, flatten):
    load, cls = loader
    data = load(validation=validation, normalize=normalize, flatten=flatten, download=False)
    raw = tiny_arrays()
    assert isinstance(data, cls) and len(data.class_names) == 10

    feature_shape = (SIDE * SIDE,) if flatten else (SIDE, SIDE)
    assert data.train.X.shape == (N_TRAIN - n_valid, *feature_shape)
    assert data.valid.X.shape == (n_valid, *feature_shape)  # empty, but with the right width
    assert data.test.X.shape == (10, *feature_shape)
    for split in data:
        assert len(split.X) == len(split.y) and split.y.dtype == np.int64
        if normalize:
            assert split.X.dtype == np.float32
            assert split.X.size == 0 or (0.0 <= split.X.min() and split.X.max() <= 1.0)
        else:
            assert split.X.dtype == np.uint8

    # the validation images are the last n_valid training images, in order
    scale = 255.0 if normalize else 1.0
    full = raw["train_images"].reshape(N_TRAIN, *feature_shape)
    np.testing.assert_allclose(np.concatenate([data.train.X, data.valid.X]) * scale, full, atol=1e-4)
    np.testing.assert_array_equal(np.concatenate([data.train.y, data.valid.y]), raw["train_labels"])
    np.testing.assert_array_equal(data.test.y, raw["test_labels"])


def test_unnormalized_arrays_are_copies(loader):
    """Editing a returned split must not edit the cached arrays of the next load."""
    load, _ = loader
    first = load(validation=0, normalize=False, download=False)
    first.train.X[:] = 0
    assert load(validation=0, normalize=False, download=False).train.X.any()


@pytest.mark.parametrize("bad", [-1, N_TRAIN, 1.0, -0.1, True, "5"])
def test_bad_validation_is_refused(loader, bad):
    load, _ = loader
    with pytest.raises((ValueError, TypeError)):
        load(validation=bad, download=False)
