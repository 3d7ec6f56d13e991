import numpy as np
import pytest

from course.plots import confusion_matrix, plot_confusion_matrix, plot_images
from course.plots.images import WRONG


def _images(n=12, shape=(8, 8)):
    return np.random.default_rng(0).random((n, *shape))


def test_grid_titles_are_class_names():
    X, y = _images(), np.arange(12) % 3
    fig = plot_images(X, y, class_names=["gato", "perro", "pez"], n=6, cols=3)
    assert len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes] == ["gato", "perro", "pez"] * 2
    assert fig.get_suptitle()


@pytest.mark.parametrize("shape", [(5, 64), (5, 8, 8, 1), (5, 1, 8, 8)])
def test_flat_channels_last_and_channels_first_images(shape):
    X = np.random.default_rng(0).random(shape)
    fig = plot_images(X, n=5)
    assert len(fig.axes) == 5
    assert fig.axes[0].get_images()[0].get_array().shape == (8, 8)


def test_wrong_predictions_are_marked():
    y = np.array([0, 1, 2, 0, 1, 2])
    probabilities = np.eye(3)[[0, 1, 0, 0, 2, 2]]  # predictions as probability rows; 2 wrong
    fig = plot_images(_images(6), y, predictions=probabilities)
    red = [ax for ax in fig.axes if ax.title.get_color() == WRONG]
    assert len(red) == 2
    assert "4 de 6" in fig.get_suptitle()


def test_confusion_matrix_counts_and_normalised_plot():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 2])
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    fig = plot_confusion_matrix(y_true, y_pred, class_names=["a", "b", "c"])
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.get_images()[0].get_array(), [[0.5, 0.5, 0], [0, 2 / 3, 1 / 3], [0, 0, 1]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    counts = plot_confusion_matrix(y_true, y_pred, normalize=False).axes[0]
    assert "2" in [t.get_text() for t in counts.texts]


def test_confusion_matrix_is_scikit_learns_over_every_class():
    from sklearn.metrics import confusion_matrix as sk_confusion_matrix

    y_true, y_pred = np.array([0, 2, 2, 1]), np.array([0, 2, 1, 1])
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), sk_confusion_matrix(y_true, y_pred))
    padded = confusion_matrix(y_true, np.eye(5)[y_pred], n_classes=5)  # probability rows; classes 3, 4 unseen
    assert padded.shape == (5, 5) and padded.sum() == 4 and padded[:3, :3].tolist() == confusion_matrix(
        y_true, y_pred).tolist()
