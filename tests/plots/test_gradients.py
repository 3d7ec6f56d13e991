import numpy as np
import pytest

from course.plots import layer_gradients, plot_gradient_histograms


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def _data(n=16, d=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32), rng.integers(0, classes, n)


def _torch_net(torch, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Dropout(0.5), torch.nn.Linear(4, 3))


def test_torch_gradients_are_those_of_backward_and_leave_the_model_untouched(torch):
    X, y = _data()
    model = _torch_net(torch)
    grads = layer_gradients(model, X, y)
    assert [g.shape for _, g in grads] == [(4, 5), (3, 4)]
    assert all(p.grad is None for p in model.parameters())  # nothing written
    assert model.training  # mode restored

    model.eval()  # reference: the usual backward pass, without dropout
    torch.nn.functional.cross_entropy(model(torch.as_tensor(X)), torch.as_tensor(y)).backward()
    for (_, g), layer in zip(grads, [model[0], model[3]]):
        np.testing.assert_allclose(g, layer.weight.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_torch_custom_loss_and_regression_targets(torch):
    X, _ = _data()
    t = np.arange(len(X), dtype=np.float32)
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(5, 1))
    (_, g), = layer_gradients(model, X, t)  # one output: a regression, MSE by default
    residual = model(torch.as_tensor(X)).detach().numpy()[:, 0] - t
    np.testing.assert_allclose(g[0], 2 * (residual @ X) / len(X), rtol=1e-4)
    (_, doubled), = layer_gradients(model, X, t, loss=lambda out, target: 2 * ((out - target) ** 2).mean())
    np.testing.assert_allclose(doubled, 2 * g, rtol=1e-5)


def test_torch_gradients_with_respect_to_activations(torch):
    X, y = _data()
    model = _torch_net(torch)
    (name, g), = layer_gradients(model, X, y, wrt="activations")  # one activation module: the Tanh
    assert "Tanh" in name and g.shape == (len(X), 4)
    # Backpropagation by hand: dL_i/dlogits_i = softmax - one_hot, then through the last layer.
    with torch.no_grad():
        logits = model[3](model[1](model[0](torch.as_tensor(X)))).numpy()
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = p - np.eye(3)[y]  # the gradient of each example's own loss
    np.testing.assert_allclose(g, delta @ model[3].weight.detach().numpy(), rtol=1e-4, atol=1e-6)
    assert all(p.grad is None for p in model.parameters())
    (_, part), = layer_gradients(model, X[:4], y[:4], wrt="activations")
    np.testing.assert_allclose(part, g[:4], rtol=1e-4, atol=1e-6)  # per example: the batch size does not matter


def _deep_tanh_net(torch, depth=6, width=50, std=0.05):
    torch.manual_seed(0)
    layers = []
    for _ in range(depth):
        linear = torch.nn.Linear(width, width)
        torch.nn.init.normal_(linear.weight, std=std)
        layers += [linear, torch.nn.Tanh()]
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, 3))


def test_the_error_signal_fades_on_its_way_back_through_small_weights(torch):
    X, y = _data(n=64, d=50)
    stds = [g.std() for _, g in layer_gradients(_deep_tanh_net(torch), X, y, wrt="activations")]
    assert len(stds) == 6
    assert all(a < b for a, b in zip(stds, stds[1:]))  # smaller at every layer closer to the input
    assert stds[0] < stds[-1] / 20
    # with weights of the right scale (std 1/sqrt(50), LeCun's) it keeps its size
    kept = [g.std() for _, g in layer_gradients(_deep_tanh_net(torch, std=50 ** -0.5), X, y, wrt="activations")]
    assert kept[0] > kept[-1] / 3


def test_unknown_wrt(torch):
    X, y = _data()
    with pytest.raises(ValueError, match="wrt"):
        layer_gradients(_torch_net(torch), X, y, wrt="inputs")


def test_keras_gradients_match_the_same_network_in_torch(keras, torch):
    X, y = _data()
    net = _torch_net(torch)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(3, activation="softmax")])
    for dense, linear in zip([model.layers[0], model.layers[2]], [net[0], net[3]]):
        dense.set_weights([linear.weight.detach().numpy().T, linear.bias.detach().numpy()])
    keras_grads = layer_gradients(model, X, y)
    torch_grads = layer_gradients(net, X, y)
    assert [g.shape for _, g in keras_grads] == [(5, 4), (4, 3)]  # Keras' (in, out) layout
    for (_, gk), (_, gt) in zip(keras_grads, torch_grads):
        np.testing.assert_allclose(gk, gt.T, rtol=1e-4, atol=1e-6)
    # with respect to the activations: Keras has one per Dense layer (tanh, softmax), torch the Tanh
    keras_act = layer_gradients(model, X, y, wrt="activations")
    (_, torch_act), = layer_gradients(net, X, y, wrt="activations")
    assert [g.shape for _, g in keras_act] == [(len(X), 4), (len(X), 3)]
    assert "tanh" in keras_act[0][0]
    np.testing.assert_allclose(keras_act[0][1], torch_act, rtol=1e-4, atol=1e-7)


def test_keras_model_without_input_layer(keras):
    model = keras.Sequential([keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    X, t = np.ones((6, 4)), np.arange(6.0)
    with pytest.raises(ValueError, match="build"):
        layer_gradients(model, X, t)
    model.build((None, 4))
    assert [g.shape for _, g in layer_gradients(model, X, t)] == [(4, 3), (3, 1)]
    assert [g.shape for _, g in layer_gradients(model, X, t, wrt="activations")] == [(6, 3), (6, 1)]


def test_plot_gradient_histograms(torch):
    X, y = _data()
    fig = plot_gradient_histograms(_torch_net(torch), X, y)
    assert len(fig.axes) == 2
    for ax, size in zip(fig.axes, [4 * 5, 3 * 4]):
        assert sum(p.get_height() for p in ax.patches) == size  # every weight's gradient is counted
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert "4→3" in fig.axes[1].get_title()
    assert "pesos" in fig.get_suptitle()
    fig = plot_gradient_histograms(_torch_net(torch), X, y, wrt="activations")
    assert len(fig.axes) == 1 and sum(p.get_height() for p in fig.axes[0].patches) == len(X) * 4
    assert "activaciones" in fig.get_suptitle() and "activaciones" in fig.axes[0].get_xlabel()
