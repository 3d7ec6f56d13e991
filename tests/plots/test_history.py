import matplotlib.colors as mcolors
import pytest
from matplotlib.figure import Figure

from course.plots import plot_history


def _run(scale, epochs=4, val=True, accuracy=True):
    h = {"loss": [scale / (e + 1) for e in range(epochs)]}
    if accuracy:
        h["accuracy"] = [1 - 0.5 / (e + 1) for e in range(epochs)]
    if val:
        h["val_loss"] = [scale / (e + 1) + 0.1 for e in range(epochs)]
        if accuracy:
            h["val_accuracy"] = [1 - 0.6 / (e + 1) for e in range(epochs)]
    return h


class KerasLikeHistory:  # what model.fit and course.torch.fit return: an object with .history
    def __init__(self, history):
        self.history = history


def test_two_runs_two_colours_dashed_validation_and_named_legend():
    fig = plot_history(_run(1.0), KerasLikeHistory(_run(2.0)), names=["SGD", "Adam"])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2  # loss and accuracy
    for ax in fig.axes:
        lines = ax.get_lines()
        assert len(lines) == 4  # 2 runs x (train, val)
        assert len({mcolors.to_hex(line.get_color()) for line in lines}) == 2
        assert sorted(line.get_linestyle() for line in lines) == ["-", "-", "--", "--"]
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "SGD" in legend and "Adam" in legend
    assert fig.get_suptitle()


def test_val_lines_share_their_runs_colour():
    fig = plot_history(_run(1.0), _run(2.0), names=["a", "b"])
    by_label = {line.get_label(): mcolors.to_hex(line.get_color()) for line in fig.axes[0].get_lines()}
    assert by_label["a (entrenamiento)"] == by_label["a (validación)"]
    assert by_label["a (entrenamiento)"] != by_label["b (entrenamiento)"]


def test_metrics_selection_and_defaults():
    only_loss = plot_history(_run(1.0, accuracy=False))
    assert len(only_loss.axes) == 1
    assert len(plot_history(_run(1.0), metrics=["accuracy"]).axes) == 1
    no_val = plot_history(_run(1.0, val=False), title="Mi modelo")
    assert all(line.get_linestyle() == "-" for ax in no_val.axes for line in ax.get_lines())
    assert no_val.get_suptitle() == "Mi modelo"
    regression = plot_history({"loss": [3, 2, 1], "mae": [2, 1.5, 1], "val_mae": [2.5, 2, 1.6]}, metrics=["mae"])
    assert len(regression.axes[0].get_lines()) == 2


def test_x_axis_counts_epochs_from_one():
    fig = plot_history(_run(1.0, epochs=5))
    assert list(fig.axes[0].get_lines()[0].get_xdata()) == [1, 2, 3, 4, 5]


def test_bad_inputs():
    with pytest.raises(ValueError):
        plot_history()
    with pytest.raises(ValueError):
        plot_history(_run(1.0), names=["a", "b"])
    with pytest.raises(KeyError):
        plot_history(_run(1.0), metrics=["f1"])
    with pytest.raises(TypeError):
        plot_history([1, 2, 3])
