import numpy as np
import pytest

from course.plots import plot_activation_histograms, plot_weight_histograms


def _counts(ax):
    return sum(patch.get_height() for patch in ax.patches)


def _check_panels(fig, sizes):
    assert len(fig.axes) == len(sizes)
    for ax, size in zip(fig.axes, sizes):
        assert _counts(ax) == size  # every value lands in the histogram
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert fig.get_suptitle()


@pytest.fixture(scope="module")
def keras_model():
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(2, activation="softmax"),
    ])


def test_keras_weight_histograms(keras_model):
    _check_panels(plot_weight_histograms(keras_model), [3 * 4, 4 * 2])


def test_keras_activation_histograms(keras_model):
    X = np.random.default_rng(0).standard_normal((10, 3))
    fig = plot_activation_histograms(keras_model, X)
    _check_panels(fig, [10 * 4, 10 * 2])
    assert "relu" in fig.axes[0].get_title() and "softmax" in fig.axes[1].get_title()


def test_keras_model_without_input_layer():
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="build"):
        plot_weight_histograms(model)
    model.build((None, 2))
    _check_panels(plot_activation_histograms(model, np.ones((6, 2))), [6 * 5, 6 * 1])


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def test_torch_weight_and_activation_histograms(torch):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4), torch.nn.Tanh(),
                                torch.nn.Linear(4, 2))
    _check_panels(plot_weight_histograms(model), [4 * 3, 4 * 4, 2 * 4])
    X = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
    fig = plot_activation_histograms(model, X)
    _check_panels(fig, [10 * 4, 10 * 4])  # one panel per activation module
    assert "ReLU" in fig.axes[0].get_title() and "Tanh" in fig.axes[1].get_title()
    tanh_values = np.concatenate([np.atleast_1d(p.get_x()) for p in fig.axes[1].patches])
    assert tanh_values.min() >= -1 - 1e-6


def test_torch_functional_activations_fall_back_to_linear_outputs(torch):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = torch.nn.Linear(3, 5), torch.nn.Linear(5, 1)

        def forward(self, x):
            return self.out(torch.relu(self.hidden(x)))

    fig = plot_activation_histograms(Net(), torch.randn(8, 3))
    _check_panels(fig, [8 * 5, 8 * 1])
    assert "hidden" in fig.axes[0].get_title()
