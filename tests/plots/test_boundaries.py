import numpy as np
import pytest

from course.datasets import make_xor
from course.plots import plot_decision_boundary
from course.plots.boundaries import to_labels
from course.scratch import MLP


def _data(n=40):
    """Labelled by the sign of x1: a vertical boundary at x1 = 0."""
    X = np.random.default_rng(0).uniform(-1, 1, (n, 2))
    return X, (X[:, 0] > 0).astype(np.int64)


def _legend(fig):
    legend = fig.axes[0].get_legend()
    return legend.get_title().get_text(), [t.get_text() for t in legend.get_texts()]


def test_numpy_callable_returning_labels():
    X, y = _data()
    fig = plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(int), X, y, resolution=50, title="Umbral")
    ax = fig.axes[0]
    title, entries = _legend(fig)
    assert title == "exactitud: 100%"
    assert entries == ["clase 0", "clase 1", "frontera"]
    assert ax.get_title() == "Umbral" and ax.get_xlabel() and ax.get_ylabel()
    # the plotting window covers the data
    assert ax.get_xlim()[0] < X[:, 0].min() and ax.get_ylim()[1] > X[:, 1].max()


def test_draws_on_a_given_axes():
    import matplotlib.pyplot as plt

    X, y = _data()
    fig, axes = plt.subplots(1, 2)
    out = plot_decision_boundary(lambda P: P[:, 0], X, y, ax=axes[1], resolution=30)
    assert out is fig and axes[1].get_legend() is not None and axes[0].get_legend() is None


def test_scratch_model_with_predict_proba():
    X, y = make_xor(4, noise=0)
    model = MLP([2, 4, 1], seed=0).fit(X, y, epochs=3000)
    title, _ = _legend(plot_decision_boundary(model, X, y, resolution=40))
    assert title == "exactitud: 100%"


def test_to_labels_reads_every_kind_of_output():
    np.testing.assert_array_equal(to_labels(np.array([[0.2, 0.8], [0.9, 0.1]])), [1, 0])  # softmax
    np.testing.assert_array_equal(to_labels(np.array([[0.7], [0.2]])), [1, 0])  # sigmoid column
    np.testing.assert_array_equal(to_labels(np.array([-3.0, 2.5])), [0, 1])  # logits / scores
    np.testing.assert_array_equal(to_labels(np.array([-1, 1, 1])), [-1, 1, 1])  # labels kept


def test_tiny_keras_model_through_course_keras():
    keras = pytest.importorskip("keras")
    from course import keras as ck

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.layers[0].set_weights([np.array([[10.0], [0.0]]), np.zeros(1)])  # p = sigmoid(10 x1)
    X, y = _data()
    title, _ = _legend(plot_decision_boundary(lambda P: ck.predict_proba(model, P), X, y, resolution=40))
    assert title == "exactitud: 100%"


@pytest.mark.parametrize("outputs", [1, 2])
def test_tiny_torch_module_through_course_torch(outputs):
    torch = pytest.importorskip("torch")
    from course import torch as ct

    layer = torch.nn.Linear(2, outputs)
    with torch.no_grad():  # logits: x1 (one column) or (-x1, x1) (two columns)
        layer.weight.copy_(torch.tensor([[10.0, 0.0]] if outputs == 1 else [[-10.0, 0.0], [10.0, 0.0]]))
        layer.bias.zero_()
    model = torch.nn.Sequential(layer)
    model.train()
    X, y = _data()
    title, _ = _legend(plot_decision_boundary(lambda P: ct.predict(model, P), X, y, resolution=40))
    assert title == "exactitud: 100%"
    assert model.training  # left in the mode it was in
    with pytest.raises(TypeError, match="course.torch.predict"):  # a module wants tensors, not NumPy
        plot_decision_boundary(model, X, y, resolution=10)


def test_rejects_data_that_is_not_2d():
    with pytest.raises(ValueError, match="2-D"):
        plot_decision_boundary(lambda P: P[:, 0], np.zeros((5, 3)), np.zeros(5))
