import matplotlib
import numpy as np
import pytest

from course.lr_finder import LRFinderResult, batch_indices, exponential_lrs, smooth_losses, suggest_lr, sweep


def u_curve(lrs, best_lr, noise=0.0, seed=0):
    """A loss that is lowest at ``best_lr`` and grows on both sides (in log-lr)."""
    rng = np.random.default_rng(seed)
    return 1.0 + (np.log10(lrs) - np.log10(best_lr)) ** 2 + noise * rng.standard_normal(len(lrs))


def test_exponential_lrs_span_the_range_geometrically():
    lrs = exponential_lrs(1e-4, 1.0, 5)
    assert lrs[0] == pytest.approx(1e-4) and lrs[-1] == pytest.approx(1.0)
    assert np.allclose(lrs[1:] / lrs[:-1], 10.0)
    with pytest.raises(ValueError):
        exponential_lrs(1.0, 1e-3)


@pytest.mark.parametrize("best_lr", [1e-3, 3e-2, 0.5])
def test_suggestion_is_a_tenth_of_the_minimum_of_a_u_curve(best_lr):
    lrs = exponential_lrs(1e-5, 10.0, 200)
    suggestion = suggest_lr(lrs, u_curve(lrs, best_lr, noise=0.05))
    # the moving average lags a few steps behind the curve: allow a factor 2.5 around best_lr / 10
    assert best_lr / 25 < suggestion < best_lr / 4


def test_suggestion_ignores_what_follows_an_explosion():
    lrs = exponential_lrs(1e-5, 10.0, 100)
    losses = u_curve(lrs, 1e-2)
    losses[70:] = 1e6
    losses[80:] = 0.0  # a bogus low value after the explosion must not count
    assert suggest_lr(lrs, losses) == pytest.approx(suggest_lr(lrs[:70], losses[:70]))
    assert suggest_lr(lrs, losses) < lrs[70]


def test_suggestion_stays_inside_the_sweep():
    lrs = exponential_lrs(1e-3, 1.0, 50)
    rising = np.linspace(1.0, 2.0, 50)
    assert suggest_lr(lrs, rising) == pytest.approx(lrs[0])


def test_smoothing_keeps_a_constant_and_damps_noise():
    assert np.allclose(smooth_losses(np.full(10, 3.0)), 3.0)
    noisy = 1.0 + np.random.default_rng(0).standard_normal(500)
    assert smooth_losses(noisy)[50:].std() < 0.5 * noisy.std()


def test_sweep_stops_when_the_loss_explodes():
    lrs = exponential_lrs(1e-5, 10.0, 200)
    calls = []

    def step(lr):
        calls.append(lr)
        return float(u_curve(np.array([lr]), 1e-2)[0]) ** 3

    result = sweep(step, lrs)
    assert isinstance(result, LRFinderResult)
    assert len(calls) == len(result.lrs) == len(result.losses) < len(lrs)
    assert np.all(np.diff(result.lrs) > 0)
    assert lrs[0] <= result.suggestion <= result.lrs[-1]


def test_sweep_stops_on_a_nan_loss():
    result = sweep(lambda lr: float("nan") if lr > 1e-2 else 1.0, exponential_lrs(1e-4, 1.0, 40))
    assert np.isnan(result.losses[-1]) and len(result.losses) < 40
    assert result.suggestion <= 1e-2


def test_batch_indices_cover_every_example_once_per_pass():
    batches = batch_indices(10, 3, np.random.default_rng(0))
    first_pass = np.concatenate([next(batches) for _ in range(3)])
    assert len(set(first_pass)) == 9 and all(len(next(batches)) == 3 for _ in range(5))


def test_plot_returns_a_figure():
    lrs = exponential_lrs(1e-4, 1.0, 30)
    result = LRFinderResult(lrs, u_curve(lrs, 1e-2), 1e-3)
    fig = result.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert fig.axes[0].get_xscale() == "log"
