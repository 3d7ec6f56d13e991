import matplotlib.pyplot as plt
import numpy as np
import pytest

from course.plots import plot_trajectories
from course.plots.trajectories import contour_levels


def bowl(x, y):
    return x**2 + 10 * y**2


def _paths():
    t = np.linspace(0, 1, 11)[:, None]
    return {"recta": (1 - t) * np.array([1.5, 1.0]), "curva": np.column_stack([1.5 * (1 - t[:, 0]), np.sin(3 * t[:, 0])])}


def test_one_labelled_path_per_optimizer_with_start_end_and_minimum():
    paths = _paths()
    fig = plot_trajectories(bowl, paths, xlim=(-2, 2), ylim=(-1, 1.5), minimum=(0, 0), resolution=40,
                            title="Cuenco", xlabel="$w_1$", ylabel="$w_2$")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["recta", "curva", "mínimo", "inicio", "final"]
    by_label = {line.get_label(): line for line in ax.get_lines()}
    for name, points in paths.items():  # each path is drawn through all its points
        np.testing.assert_allclose(by_label[name].get_xydata(), points)
    assert by_label["recta"].get_zorder() > by_label["curva"].get_zorder()  # where they overlap, the first shows
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Cuenco", "$w_1$", "$w_2$")
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 1.5)


def test_draws_on_a_given_axes_with_the_legend_inside_or_outside():
    fig, axes = plt.subplots(1, 2)
    out = plot_trajectories(bowl, _paths(), ax=axes[1], resolution=20)
    assert out is fig and axes[1].get_legend() is not None and axes[0].get_legend() is None

    def legend_inside(ax):
        fig.canvas.draw()
        box = ax.get_legend().get_window_extent()
        return ax.get_window_extent().contains(box.x0, box.y0) and ax.get_window_extent().contains(box.x1, box.y1)

    assert not legend_inside(axes[1])  # by default it sits to the right of the axes
    plot_trajectories(bowl, _paths(), ax=axes[0], resolution=20, legend_loc="lower left")
    assert legend_inside(axes[0])


def test_contour_levels_linear_or_geometric():
    values = np.linspace(0.0, 100.0, 1000)
    np.testing.assert_allclose(contour_levels(values, 5), [0, 25, 50, 75, 100])
    log = contour_levels(values, 6, log=True)
    assert log[-1] == pytest.approx(100) and log[0] > 0
    ratios = log[1:] / log[:-1]
    np.testing.assert_allclose(ratios, ratios[0])  # geometric spacing
    with pytest.raises(ValueError):
        contour_levels(-values[1:], 5, log=True)


def test_rejects_bad_paths_and_non_elementwise_functions():
    with pytest.raises(ValueError, match="shape"):
        plot_trajectories(bowl, {"mal": np.zeros((5, 3))}, resolution=10)
    with pytest.raises(ValueError, match="element-wise"):
        plot_trajectories(lambda x, y: float(np.sum(x)), _paths(), resolution=10)
