import dataclasses

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course.keras import build_mlp, evaluate, fit, load_model, predict, predict_proba, save_model  # noqa: E402
from course.models import MLPConfig  # noqa: E402

SMALL = MLPConfig(input_shape=(8, 8), hidden=(32,))


from ..small_data import digits_split as digits  # noqa: E402


def test_fit_learns_digits_and_logs_the_learning_rate():
    train, valid = digits()
    model = build_mlp(SMALL, seed=0)
    history = fit(model, train, valid, epochs=3, lr=3e-3, progress=False, seed=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert history.history["lr"] == pytest.approx([3e-3] * 3)
    assert evaluate(model, *valid)["accuracy"] > 0.6


def overfitting_run(restore_best):
    (X, y), (Xv, yv) = digits()
    model = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(64,)), seed=0)
    history = fit(model, (X[:20], y[:20]), (Xv[:300], yv[:300]), epochs=40, batch_size=10, lr=0.02,
                  early_stopping=2, restore_best=restore_best, progress=False, seed=0)
    return history, evaluate(model, Xv[:300], yv[:300])["loss"]


def test_early_stopping_stops_and_restores_the_best_weights():
    history, final_loss = overfitting_run(restore_best=True)
    val_losses = history.history["val_loss"]
    assert len(val_losses) < 40
    best = int(np.argmin(val_losses))
    assert best == len(val_losses) - 3
    assert final_loss == pytest.approx(val_losses[best], rel=1e-4)


def test_lr_schedule_sets_each_epoch_rate():
    train, _ = digits()
    history = fit(build_mlp(SMALL), train, epochs=3, optimizer="sgd", lr_schedule=lambda e: 0.1 * 0.5**e, progress=False)
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.025])


def test_duck_typed_callbacks_see_every_epoch():
    calls = []

    class Recorder:
        def on_train_begin(self, logs):
            calls.append("begin")

        def on_epoch_end(self, epoch, logs):
            calls.append((epoch, sorted(logs)))

        def on_train_end(self, logs):
            calls.append("end")

    train, valid = digits()
    fit(build_mlp(SMALL), train, valid, epochs=2, callbacks=[Recorder()], progress=False)
    keys = ["accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert calls == ["begin", (0, keys), (1, keys), "end"]


def test_checkpoint_keeps_the_best_epoch(tmp_path):
    (X, y), (Xv, yv) = digits()
    path = tmp_path / "best.keras"
    history = fit(build_mlp(SMALL, seed=0), (X[:20], y[:20]), (Xv[:300], yv[:300]), epochs=8, batch_size=10,
                  lr=0.02, checkpoint=path, progress=False, seed=0)
    best = load_model(path)
    assert evaluate(best, Xv[:300], yv[:300])["loss"] == pytest.approx(min(history.history["val_loss"]), rel=1e-4)


@pytest.mark.parametrize("config", [SMALL, MLPConfig(input_shape=(8, 8), hidden=(16,), batch_norm=True, dropout=0.2)])
def test_save_and_load_give_identical_predictions(tmp_path, config):
    train, valid = digits()
    model = build_mlp(config, seed=0)
    fit(model, train, epochs=1, progress=False, seed=0)
    path = save_model(model, tmp_path / "model")
    assert path.suffix == ".keras"
    loaded = load_model(tmp_path / "model")
    np.testing.assert_allclose(predict_proba(loaded, valid[0]), predict_proba(model, valid[0]), atol=1e-6)
    np.testing.assert_array_equal(predict(loaded, valid[0]), predict(model, valid[0]))


def test_logits_model_gets_a_from_logits_loss_and_probabilities():
    train, valid = digits()
    config = dataclasses.replace(SMALL, output_activation=None)
    model = build_mlp(config, seed=0)
    fit(model, train, epochs=2, lr=3e-3, progress=False, seed=0)
    proba = predict_proba(model, valid[0])
    assert np.allclose(proba.sum(axis=1), 1, atol=1e-5) and proba.min() >= 0
    assert evaluate(model, *valid)["accuracy"] > 0.6


def test_binary_and_regression_models_get_their_losses():
    (X, y), (Xv, yv) = digits()
    binary = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(16,), n_outputs=1, output_activation="sigmoid"), seed=0)
    history = fit(binary, (X, y % 2), (Xv, yv % 2), epochs=3, lr=3e-3, progress=False, seed=0)
    assert history.history["val_accuracy"][-1] > 0.7
    assert set(np.unique(predict(binary, Xv))) <= {0, 1}
    regression = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(16,), n_outputs=1, output_activation=None))
    history = fit(regression, (X, y.astype("float32")), epochs=2, lr=3e-3, progress=False)
    assert set(history.history) == {"loss", "lr"}
    assert predict(regression, Xv).shape == (len(Xv),)
