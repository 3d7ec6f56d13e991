import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course.keras import build_mlp, lr_find  # noqa: E402
from course.models import MLPConfig  # noqa: E402

from ..small_data import digits as _digits  # noqa: E402


def digits():
    return _digits(800)


def test_lr_find_suggests_a_rate_inside_the_sweep_and_leaves_the_model_alone():
    X, y = digits()
    model = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(32,), batch_norm=True), seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    result = lr_find(model, X, y, start_lr=1e-4, end_lr=10.0, steps=80, batch_size=32, seed=0)
    assert 1e-4 <= result.suggestion <= 10.0
    assert len(result.lrs) == len(result.losses) <= 80
    assert np.all(np.diff(result.lrs) > 0)
    assert result.smoothed().min() < result.losses[:5].mean()
    for a, b in zip(before, model.get_weights()):  # weights and batch-norm statistics
        np.testing.assert_array_equal(a, b)
    assert isinstance(model.optimizer, keras.optimizers.Adam)  # its own optimizer is untouched
