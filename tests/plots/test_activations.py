import numpy as np

from course.plots import plot_activations
from course.scratch.activations import ACTIVATIONS, relu


def test_one_panel_per_activation_with_derivative():
    fig = plot_activations()
    assert len(fig.axes) == len(ACTIVATIONS)
    assert sorted(ax.get_title() for ax in fig.axes) == sorted(ACTIVATIONS)
    for ax in fig.axes:
        assert len(ax.get_lines()) == 4  # two reference axes + f + f'
        assert ax.get_legend() is not None and ax.get_xlabel() == "x"
    assert fig.get_suptitle()


def test_selected_without_derivatives_draws_the_function():
    fig = plot_activations(["relu", "tanh"], derivatives=False)
    assert [ax.get_title() for ax in fig.axes] == ["relu", "tanh"]
    curve = fig.axes[0].get_lines()[-1]
    x, y = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    np.testing.assert_allclose(y, relu(x))
