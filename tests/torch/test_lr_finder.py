import numpy as np
import pytest

torch = pytest.importorskip("torch")

from course.models import MLPConfig  # noqa: E402
from course.torch import build_mlp, lr_find  # noqa: E402

from ..small_data import digits as _digits  # noqa: E402


def digits():
    return _digits(800)


@pytest.mark.parametrize("config", [
    MLPConfig(input_shape=(8, 8), hidden=(32,)),
    MLPConfig(input_shape=(8, 8), hidden=(32,), batch_norm=True, dropout=0.2),
])
def test_lr_find_suggests_a_rate_inside_the_sweep_and_restores_the_model(config):
    X, y = digits()
    model = build_mlp(config, seed=0).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = lr_find(model, X, y, start_lr=1e-4, end_lr=10.0, steps=80, batch_size=32, seed=0)
    assert 1e-4 <= result.suggestion <= 10.0
    assert len(result.lrs) == len(result.losses) <= 80
    assert np.all(np.diff(result.lrs) > 0)
    # the loss did fall somewhere in the sweep, below the first losses
    assert result.smoothed().min() < result.losses[:5].mean()
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k].cpu()) for k in before)  # weights and batch-norm stats
    assert not model.training
