import dataclasses
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from course.models import MLPConfig  # noqa: E402
from course.torch import (  # noqa: E402
    History,
    build_mlp,
    evaluate,
    fit,
    load_model,
    predict,
    predict_proba,
    save_model,
)

SMALL = MLPConfig(input_shape=(8, 8), hidden=(32,))


from ..small_data import digits_split as digits  # noqa: E402


def test_fit_learns_digits_in_a_few_epochs():
    train, valid = digits()
    model = build_mlp(SMALL, seed=0)
    history = fit(model, train, valid, epochs=3, batch_size=32, optimizer="adam", lr=3e-3, progress=False, seed=0)
    assert isinstance(history, History) and history.model is model
    assert history.epoch == [0, 1, 2]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert evaluate(model, *valid)["accuracy"] > 0.6  # chance is 0.1
    assert history.history["val_accuracy"][-1] == pytest.approx(evaluate(model, *valid)["accuracy"])


def test_fit_is_reproducible_with_a_seed():
    train, _ = digits()
    config = dataclasses.replace(SMALL, dropout=0.3)
    runs = [fit(build_mlp(config, seed=0), train, epochs=2, progress=False, seed=7).history["loss"] for _ in range(2)]
    assert runs[0] == runs[1]


def test_history_keys_without_validation_and_for_a_regression():
    (X, y), _ = digits()
    assert set(fit(build_mlp(SMALL), (X, y), epochs=1, progress=False).history) == {"loss", "accuracy", "lr"}
    regression = MLPConfig(input_shape=(8, 8), hidden=(8,), n_outputs=1, output_activation=None)
    history = fit(build_mlp(regression), (X, y.astype("float32")), (X[:100], y[:100].astype("float32")),
                  epochs=1, progress=False)
    assert set(history.history) == {"loss", "val_loss", "lr"}


def overfitting_run(restore_best):
    """Twenty training examples, a big learning rate: the validation loss soon goes up."""
    (X, y), (Xv, yv) = digits()
    model = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(64,)), seed=0)
    history = fit(model, (X[:20], y[:20]), (Xv[:300], yv[:300]), epochs=40, batch_size=10, optimizer="adam",
                  lr=0.02, early_stopping=2, restore_best=restore_best, progress=False, seed=0)
    return model, history, evaluate(model, Xv[:300], yv[:300])["loss"]


def test_early_stopping_stops_and_restores_the_best_weights():
    model, history, final_loss = overfitting_run(restore_best=True)
    val_losses = history.history["val_loss"]
    assert len(val_losses) < 40  # it stopped...
    best = int(np.argmin(val_losses))
    assert best == len(val_losses) - 3  # ...two epochs (the patience) after the best one
    assert final_loss == pytest.approx(val_losses[best], rel=1e-5)


def test_without_restore_best_the_last_weights_stay():
    _, history, final_loss = overfitting_run(restore_best=False)
    assert final_loss == pytest.approx(history.history["val_loss"][-1], rel=1e-5)
    assert final_loss > min(history.history["val_loss"])


def test_lr_schedule_sets_each_epoch_rate():
    train, _ = digits()
    schedule = lambda epoch: 0.1 * 0.5**epoch  # noqa: E731
    history = fit(build_mlp(SMALL), train, epochs=3, optimizer="sgd", lr_schedule=schedule, progress=False)
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.025])


class Recorder:
    def __init__(self):
        self.calls = []

    def on_train_begin(self, logs):
        self.calls.append(("begin", None))

    def on_epoch_end(self, epoch, logs):
        self.calls.append((epoch, dict(logs)))

    def on_train_end(self, logs):
        self.calls.append(("end", None))


def test_duck_typed_callbacks_see_every_epoch():
    train, valid = digits()
    recorder, partial = Recorder(), type("OnlyEpochs", (), {"on_epoch_end": lambda self, e, logs: None})()
    history = fit(build_mlp(SMALL), train, valid, epochs=2, callbacks=[recorder, partial], progress=False)
    assert [c[0] for c in recorder.calls] == ["begin", 0, 1, "end"]
    assert recorder.calls[2][1]["val_loss"] == history.history["val_loss"][1]


def test_checkpoint_keeps_the_best_epoch(tmp_path):
    (X, y), (Xv, yv) = digits()
    path = tmp_path / "best.pt"
    model = build_mlp(MLPConfig(input_shape=(8, 8), hidden=(64,)), seed=0)
    history = fit(model, (X[:20], y[:20]), (Xv[:300], yv[:300]), epochs=8, batch_size=10, optimizer="adam",
                  lr=0.02, checkpoint=path, progress=False, seed=0)
    best = load_model(path)
    assert evaluate(best, Xv[:300], yv[:300])["loss"] == pytest.approx(min(history.history["val_loss"]), rel=1e-5)


@pytest.mark.parametrize("config", [SMALL, MLPConfig(input_shape=(8, 8), hidden=(16,), batch_norm=True, dropout=0.2)])
def test_save_and_load_give_identical_predictions(tmp_path, config):
    train, valid = digits()
    model = build_mlp(config, seed=0)
    fit(model, train, epochs=1, progress=False, seed=0)
    weights = save_model(model, tmp_path / "model")  # the config attached by build_mlp
    assert weights.suffix == ".pt" and weights.with_suffix(".json").exists()
    loaded = load_model(tmp_path / "model.pt")
    assert loaded.config == config and not loaded.training
    np.testing.assert_array_equal(predict_proba(loaded, valid[0]), predict_proba(model, valid[0]))


def test_load_model_reads_only_tensors(tmp_path):
    model = build_mlp(SMALL)
    save_model(model, tmp_path / "m")
    torch.save({"not": object()}, tmp_path / "m.pt")  # a pickle with code in it must be refused
    with pytest.raises(pickle.UnpicklingError):
        load_model(tmp_path / "m")


def test_save_model_needs_the_config():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2))
    with pytest.raises(ValueError, match="model.config"):
        save_model(model, "anywhere")


def test_predictions_are_labels_and_probabilities():
    train, valid = digits()
    model = build_mlp(SMALL, seed=0)
    fit(model, train, epochs=1, progress=False)
    proba = predict_proba(model, valid[0])
    assert proba.shape == (len(valid[0]), 10) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(predict(model, valid[0]), proba.argmax(axis=1))


def test_binary_model_trains_with_logits_and_predicts_zero_or_one():
    (X, y), (Xv, yv) = digits()
    config = MLPConfig(input_shape=(8, 8), hidden=(16,), n_outputs=1, output_activation="sigmoid")
    model = build_mlp(config, seed=0)
    history = fit(model, (X, y % 2), (Xv, yv % 2), epochs=3, lr=3e-3, progress=False, seed=0)
    assert history.history["val_accuracy"][-1] > 0.7
    labels, proba = predict(model, Xv), predict_proba(model, Xv)
    assert set(np.unique(labels)) <= {0, 1} and proba.shape == (len(Xv), 1)
    np.testing.assert_array_equal(labels, (proba[:, 0] > 0.5).astype(int))


def test_l2_penalty_is_part_of_the_loss():
    (X, y), _ = digits()
    model = build_mlp(dataclasses.replace(SMALL, l2=0.01), seed=0)
    with_penalty = evaluate(model, X, y)["loss"]
    model.config = dataclasses.replace(model.config, l2=0.0)
    without = evaluate(model, X, y)["loss"]
    squares = sum(float((m.weight.detach() ** 2).sum()) for m in model if isinstance(m, torch.nn.Linear))
    assert with_penalty - without == pytest.approx(0.01 * squares, rel=1e-4)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU fallback")
def test_mixed_precision_falls_back_to_float32_without_cuda():
    train, _ = digits()
    with pytest.warns(UserWarning, match="CUDA"):
        history = fit(build_mlp(SMALL), train, epochs=1, amp=True, progress=False)
    assert np.isfinite(history.history["loss"][0])
