"""course.torch.layer_weights / layer_activations / layer_gradients: plain NumPy arrays per layer."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from course.models import MLPConfig  # noqa: E402
from course.torch import build_mlp, layer_activations, layer_gradients, layer_weights  # noqa: E402


def _data(n=16, d=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32), rng.integers(0, classes, n)


def _net(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Dropout(0.5), torch.nn.Linear(4, 3))


def test_weights_are_numpy_in_pytorch_layout():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    weights = layer_weights(model)
    assert [name for name, _ in weights] == ["0", "2"]
    assert all(isinstance(w, np.ndarray) for _, w in weights)
    assert [w.shape for _, w in weights] == [(4, 3), (2, 4)]  # (out, in)
    np.testing.assert_array_equal(weights[0][1], model[0].weight.detach().numpy())


def test_activations_of_each_activation_module_in_eval_mode():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4), torch.nn.Tanh(),
                                torch.nn.Linear(4, 2))
    model.train()
    X = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
    (relu_name, relu), (tanh_name, tanh) = layer_activations(model, X)
    assert "ReLU" in relu_name and "Tanh" in tanh_name
    assert relu.shape == tanh.shape == (10, 4) and relu.min() >= 0 and np.abs(tanh).max() <= 1
    assert model.training  # mode restored


def test_functional_activations_fall_back_to_linear_outputs():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = torch.nn.Linear(3, 5), torch.nn.Linear(5, 1)

        def forward(self, x):
            return self.out(torch.relu(self.hidden(x)))

    activations = layer_activations(Net(), torch.randn(8, 3))
    assert [a.shape for _, a in activations] == [(8, 5), (8, 1)] and "hidden" in activations[0][0]


def test_the_course_mlp_lists_its_hidden_activations():
    model = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(16, 8), activation="relu"), seed=0)
    activations = layer_activations(model, np.ones((6, 8, 8), np.float32))
    assert [a.shape for _, a in activations] == [(6, 16), (6, 8)]  # the output returns logits: no module


def test_gradients_are_those_of_backward_and_leave_the_model_untouched():
    X, y = _data()
    model = _net()
    grads = layer_gradients(model, X, y)
    assert [g.shape for _, g in grads] == [(4, 5), (3, 4)]
    assert all(p.grad is None for p in model.parameters())  # nothing written
    assert model.training  # mode restored

    model.eval()  # reference: the usual backward pass, without dropout
    torch.nn.functional.cross_entropy(model(torch.as_tensor(X)), torch.as_tensor(y)).backward()
    for (_, g), layer in zip(grads, [model[0], model[3]], strict=True):
        np.testing.assert_allclose(g, layer.weight.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_custom_loss_and_regression_targets():
    X, _ = _data()
    t = np.arange(len(X), dtype=np.float32)
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(5, 1))
    (_, g), = layer_gradients(model, X, t)  # one output: a regression, MSE by default
    residual = model(torch.as_tensor(X)).detach().numpy()[:, 0] - t
    np.testing.assert_allclose(g[0], 2 * (residual @ X) / len(X), rtol=1e-4)
    (_, doubled), = layer_gradients(model, X, t, loss=lambda out, target: 2 * ((out - target) ** 2).mean())
    np.testing.assert_allclose(doubled, 2 * g, rtol=1e-5)


def test_gradients_with_respect_to_activations():
    X, y = _data()
    model = _net()
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


def _deep_tanh_net(depth=6, width=50, std=0.05):
    torch.manual_seed(0)
    layers = []
    for _ in range(depth):
        linear = torch.nn.Linear(width, width)
        torch.nn.init.normal_(linear.weight, std=std)
        layers += [linear, torch.nn.Tanh()]
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, 3))


def test_the_error_signal_fades_on_its_way_back_through_small_weights():
    X, y = _data(n=64, d=50)
    stds = [g.std() for _, g in layer_gradients(_deep_tanh_net(), X, y, wrt="activations")]
    assert len(stds) == 6
    assert all(a < b for a, b in zip(stds, stds[1:], strict=False))  # smaller at every layer closer to the input
    assert stds[0] < stds[-1] / 20
    # with weights of the right scale (std 1/sqrt(50), LeCun's) it keeps its size
    kept = [g.std() for _, g in layer_gradients(_deep_tanh_net(std=50 ** -0.5), X, y, wrt="activations")]
    assert kept[0] > kept[-1] / 3


def test_unknown_wrt_and_models_without_linear_layers():
    X, y = _data()
    with pytest.raises(ValueError, match="wrt"):
        layer_gradients(_net(), X, y, wrt="inputs")
    with pytest.raises(ValueError, match="nn.Linear"):
        layer_weights(torch.nn.Sequential(torch.nn.ReLU()))


def test_keras_and_torch_agree_on_the_same_network():
    keras = pytest.importorskip("keras")
    from course import keras as ck

    X, y = _data()
    net = _net()
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(3, activation="softmax")])
    for dense, linear in zip([model.layers[0], model.layers[2]], [net[0], net[3]], strict=True):
        dense.set_weights([linear.weight.detach().numpy().T, linear.bias.detach().numpy()])
    for (_, wk), (_, wt) in zip(ck.layer_weights(model), layer_weights(net), strict=True):
        np.testing.assert_array_equal(wk, wt.T)  # the same weights, in each framework's layout
    keras_grads, torch_grads = ck.layer_gradients(model, X, y), layer_gradients(net, X, y)
    assert [g.shape for _, g in keras_grads] == [(5, 4), (4, 3)]  # Keras' (in, out) layout
    for (_, gk), (_, gt) in zip(keras_grads, torch_grads, strict=True):
        np.testing.assert_allclose(gk, gt.T, rtol=1e-4, atol=1e-6)
    # with respect to the activations: Keras has one per Dense layer (tanh, softmax), torch the Tanh
    keras_act = ck.layer_gradients(model, X, y, wrt="activations")
    (_, torch_act), = layer_gradients(net, X, y, wrt="activations")
    assert [g.shape for _, g in keras_act] == [(len(X), 4), (len(X), 3)]
    assert "tanh" in keras_act[0][0]
    np.testing.assert_allclose(keras_act[0][1], torch_act, rtol=1e-4, atol=1e-7)
    (_, ka), _ = ck.layer_activations(model, X)
    (_, ta), = layer_activations(net, X)
    np.testing.assert_allclose(ka, ta, rtol=1e-5, atol=1e-6)
