import numpy as np
import pytest

from course.plots import plot_activation_histograms, plot_gradient_histograms, plot_weight_histograms


def _counts(ax):
    return sum(patch.get_height() for patch in ax.patches)


def _check_panels(fig, sizes):
    assert len(fig.axes) == len(sizes)
    for ax, size in zip(fig.axes, sizes, strict=True):
        assert _counts(ax) == size  # every value lands in the histogram
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert fig.get_suptitle()


def _pairs(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [(f"capa {i}", rng.standard_normal(shape)) for i, shape in enumerate(shapes, 1)]


def test_weight_histograms_take_the_pairs_of_layer_weights():
    pairs = _pairs((3, 4), (4, 2))
    fig = plot_weight_histograms(pairs)
    _check_panels(fig, [3 * 4, 4 * 2])
    assert fig.axes[0].get_title() == "capa 1" and "pesos" in fig.get_suptitle()


def test_activation_histograms_note_the_share_of_zeros():
    relu = np.maximum(np.random.default_rng(0).standard_normal((10, 4)), 0)
    fig = plot_activation_histograms([("dense (relu)", relu), ("out", np.ones((10, 2)))], cols=1)
    _check_panels(fig, [10 * 4, 10 * 2])
    assert "ceros" in fig.axes[0].texts[0].get_text()


@pytest.mark.parametrize("wrt, words", [("weights", "pesos"), ("activations", "activaciones")])
def test_gradient_histograms_name_what_they_differentiate(wrt, words):
    fig = plot_gradient_histograms(_pairs((4, 5), (3, 4)), wrt=wrt)
    _check_panels(fig, [4 * 5, 3 * 4])
    assert words in fig.get_suptitle() and words in fig.axes[0].get_xlabel()
    with pytest.raises(ValueError, match="wrt"):
        plot_gradient_histograms(_pairs((2, 2)), wrt="inputs")


def test_a_model_instead_of_arrays_gets_a_clear_message():
    class Model:
        pass

    with pytest.raises(TypeError, match="course.torch.layer_weights"):
        plot_weight_histograms(Model())
    with pytest.raises(TypeError, match="layer_activations"):
        plot_activation_histograms([1, 2, 3])
    with pytest.raises(ValueError, match="no layers"):
        plot_gradient_histograms([])
