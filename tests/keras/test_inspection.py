"""course.keras.layer_weights / layer_activations / layer_gradients: plain NumPy arrays per Dense layer."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course.keras import build_mlp, layer_activations, layer_gradients, layer_weights  # noqa: E402
from course.models import MLPConfig  # noqa: E402


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(2, activation="softmax"),
    ])


def test_weights_are_numpy_in_keras_layout(model):
    weights = layer_weights(model)
    assert all(isinstance(w, np.ndarray) for _, w in weights)
    assert [w.shape for _, w in weights] == [(3, 4), (4, 2)]  # (in, out)
    np.testing.assert_array_equal(weights[0][1], model.layers[0].get_weights()[0])


def test_activations_of_each_dense_layer(model):
    X = np.random.default_rng(0).standard_normal((10, 3))
    (relu_name, relu), (softmax_name, softmax) = layer_activations(model, X)
    assert "relu" in relu_name and "softmax" in softmax_name
    assert relu.shape == (10, 4) and relu.min() >= 0
    np.testing.assert_allclose(softmax.sum(axis=1), 1, rtol=1e-5)


def test_the_course_mlp_lists_every_dense_layer():
    model = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(16, 8), activation="relu", batch_norm=True), seed=0)
    X = np.ones((6, 8, 8), np.float32)
    assert [a.shape for _, a in layer_activations(model, X)] == [(6, 16), (6, 8), (6, 10)]  # last: the output
    assert [g.shape for _, g in layer_gradients(model, X, np.arange(6))] == [(64, 16), (16, 8), (8, 10)]


def test_gradients_are_those_of_a_gradient_tape(model):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((16, 3)).astype(np.float32), rng.integers(0, 2, 16)
    grads = layer_gradients(model, X, y)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(X, training=False)))
    expected = tape.gradient(loss, [model.layers[0].kernel.value, model.layers[2].kernel.value])
    for (_, g), e in zip(grads, expected, strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="wrt"):
        layer_gradients(model, X, y, wrt="inputs")


def test_model_without_input_layer():
    model = keras.Sequential([keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    X, t = np.ones((6, 4)), np.arange(6.0)
    for helper in (lambda: layer_weights(model), lambda: layer_gradients(model, X, t)):
        with pytest.raises(ValueError, match="build"):
            helper()
    model.build((None, 4))
    assert [a.shape for _, a in layer_activations(model, np.ones((6, 4)))] == [(6, 3), (6, 1)]
    assert [g.shape for _, g in layer_gradients(model, X, t)] == [(4, 3), (3, 1)]
    assert [g.shape for _, g in layer_gradients(model, X, t, wrt="activations")] == [(6, 3), (6, 1)]
