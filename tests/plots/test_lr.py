from types import SimpleNamespace

import numpy as np

from course.plots import plot_lr_finder


def _curve():
    lrs = np.logspace(-5, 0, 50)
    losses = 2.0 - np.exp(-((np.log10(lrs) + 2.5) ** 2))
    losses[-5:] = [5, 10, 20, 40, np.inf]
    return lrs, losses


def test_result_object_with_suggestion():
    lrs, losses = _curve()
    fig = plot_lr_finder(SimpleNamespace(lrs=lrs, losses=losses, suggestion=1e-3))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("1.0e-03" in text for text in legend)
    assert ax.get_ylim()[1] < 5  # the explosion at the end does not squash the curve


def test_pair_and_explicit_suggestion():
    lrs, losses = _curve()
    ax = plot_lr_finder((lrs, losses)).axes[0]
    assert ax.get_legend() is None  # one series, no suggestion
    ax = plot_lr_finder((lrs, losses), suggestion=3e-4).axes[0]
    assert any("3.0e-04" in t.get_text() for t in ax.get_legend().get_texts())


def test_result_with_a_smoothed_curve_draws_both():
    lrs, losses = _curve()
    smooth = np.convolve(losses[np.isfinite(losses)], np.ones(3) / 3, mode="same")
    smooth = np.append(smooth, np.inf)
    result = SimpleNamespace(lrs=lrs, losses=losses, suggestion=1e-3, smoothed=lambda: smooth)
    ax = plot_lr_finder(result).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["pérdida por lote", "pérdida suavizada"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), smooth)
