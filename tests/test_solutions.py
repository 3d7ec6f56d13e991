import subprocess
import sys

import pytest

from course import solutions
from course.models import count_params
from course.solutions import FAST_EPOCHS, FRAMEWORKS, KeepBest, reference, train_reference

KERAS_KEYS = {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_import_loads_no_framework():
    code = ("import sys, course.solutions; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_reference_is_a_fashion_mnist_classifier(framework):
    ref = reference(framework)
    assert ref.config.input_shape == (28, 28) and ref.config.n_outputs == 10
    assert ref.training.epochs > FAST_EPOCHS and ref.training.batch_size > 0


def test_reference_returns_a_copy():
    ref = reference("keras")
    ref.config.hidden = (1,)
    ref.training.optimizer_hparams["weight_decay"] = 123.0
    assert reference("keras").config.hidden != (1,)
    assert reference("keras").training.optimizer_hparams.get("weight_decay") != 123.0


def test_unknown_framework_is_an_error():
    with pytest.raises(ValueError, match="jax"):
        reference("jax")
    with pytest.raises(ValueError, match="jax"):
        train_reference("jax")


def test_cosine_schedule_decays_from_the_peak():
    settings = reference("torch").training
    rates = [settings.lr_at(epoch, 10) for epoch in range(10)]
    assert rates[0] == pytest.approx(settings.lr)
    assert all(a > b for a, b in zip(rates, rates[1:])) and rates[-1] > 0
    constant = solutions.TrainingSettings(lr=0.01, schedule="constant")
    assert [constant.lr_at(e) for e in range(3)] == [0.01] * 3


def test_keep_best_restores_the_weights_of_the_best_epoch():
    weights = {"w": -1}
    keep = KeepBest(lambda: dict(weights), weights.update)
    keep.on_train_begin({})
    for epoch, accuracy in enumerate([0.5, 0.8, 0.7]):
        weights["w"] = epoch
        keep.on_epoch_end(epoch, {"val_accuracy": accuracy})
    keep.on_train_end({})
    assert weights == {"w": 1}
    assert (keep.best_epoch, keep.best) == (1, 0.8)


def test_both_frameworks_build_the_same_network():
    pytest.importorskip("torch")
    pytest.importorskip("keras")
    import course.keras
    import course.torch

    for framework in FRAMEWORKS:
        config = reference(framework).config
        keras_model, torch_model = course.keras.build_mlp(config), course.torch.build_mlp(config)
        assert course.keras.count_params(keras_model) == course.torch.count_params(torch_model) == count_params(config)
    assert reference("keras").config == reference("torch").config


def test_label_smoothing_is_the_same_in_both_frameworks():
    keras = pytest.importorskip("keras")
    torch = pytest.importorskip("torch")
    import numpy as np

    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 1.0, 1.0]], dtype="float32")
    labels = np.array([0, 1, 2])
    eps = reference("keras").training.label_smoothing
    assert 0 < eps < 1
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    target = np.full(probs.shape, eps / 3)
    target[np.arange(3), labels] += 1 - eps
    expected = -(target * np.log(probs)).sum(axis=1)
    by_keras = keras.ops.convert_to_numpy(solutions.keras_smoothed_loss(eps)(labels, probs))
    np.testing.assert_allclose(by_keras, expected, rtol=1e-5)
    by_torch = torch.nn.CrossEntropyLoss(label_smoothing=eps, reduction="none")(
        torch.from_numpy(logits), torch.from_numpy(labels))
    np.testing.assert_allclose(by_torch.numpy(), expected, rtol=1e-5)
    plain = keras.ops.convert_to_numpy(solutions.keras_smoothed_loss(0.0)(labels, probs))
    np.testing.assert_allclose(plain, -np.log(probs[np.arange(3), labels]), rtol=1e-5)


@pytest.mark.needs_data
@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_train_reference_in_fast_mode(framework):
    pytest.importorskip("torch" if framework == "torch" else "keras")
    history = train_reference(framework)  # conftest sets COURSE_FAST=1
    assert KERAS_KEYS <= set(history.history)
    assert len(history.history["loss"]) == FAST_EPOCHS
    assert all(0.0 <= a <= 1.0 for a in history.history["val_accuracy"])
    assert history.history["val_accuracy"][-1] > 0.5  # chance is 0.1, even on 2000 images
    assert history.history["lr"][0] == pytest.approx(reference(framework).training.lr)
