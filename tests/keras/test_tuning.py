import functools

import numpy as np
import pytest

kt = pytest.importorskip("keras_tuner")

from course.keras import predict  # noqa: E402
from course.keras.tuning import MLPHyperModel, build_model  # noqa: E402


@functools.lru_cache
def raw_digits():
    """1000 + 300 8x8 images with raw pixels (0 to 16)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    X, y = data.images.astype("float32"), data.target
    return (X[:1000], y[:1000]), (X[1000:1300], y[1000:1300])


def fixed(**values):
    hp = kt.HyperParameters()
    for name, value in values.items():
        hp.Fixed(name, value)
    return hp


# get_best_models reloads a checkpoint without the optimizer's state: Keras warns, harmlessly.
@pytest.mark.filterwarnings("ignore:Skipping variable loading:UserWarning")
def test_random_search_with_build_model(tmp_path):
    (X, y), (Xv, yv) = raw_digits()
    tuner = kt.RandomSearch(functools.partial(build_model, input_shape=(8, 8)), objective="val_accuracy",
                            max_trials=2, seed=0, directory=tmp_path, project_name="build_model")
    tuner.search(X / 16, y, validation_data=(Xv / 16, yv), epochs=1, verbose=0)
    trials = tuner.oracle.get_best_trials(num_trials=5)
    assert len(trials) == 2
    assert all(0.0 <= t.score <= 1.0 for t in trials)
    assert {"n_layers", "units_0", "activation", "dropout", "batch_norm", "optimizer", "lr"} <= set(
        trials[0].hyperparameters.values)
    best = tuner.get_best_models(num_models=1)[0]
    assert predict(best, Xv[:7] / 16).shape == (7,)


def test_learning_rate_is_drawn_log_uniformly():
    hp = kt.HyperParameters()
    build_model(hp, input_shape=(8, 8))
    lr = {p.name: p for p in hp.space}["lr"]
    assert (lr.min_value, lr.max_value, lr.sampling) == (1e-4, 1e-2, "log")


@pytest.mark.parametrize("batch_size", [100, 250])
def test_hypermodel_trains_with_the_batch_size_it_tunes(batch_size):
    (X, y), _ = raw_digits()
    hp = fixed(batch_size=batch_size)
    hypermodel = MLPHyperModel(input_shape=(8, 8), max_value=16)
    history = hypermodel.fit(hp, hypermodel.build(hp), X, y, epochs=1, verbose=0)
    assert history.params["steps"] == len(X) // batch_size


def test_hypermodel_preprocessing_rescales_or_standardizes():
    (X, y), _ = raw_digits()
    hypermodel = MLPHyperModel(input_shape=(8, 8), max_value=16)

    hp = fixed(preprocessing="rescale")
    model = hypermodel.build(hp)
    hypermodel.fit(hp, model, X, y, epochs=1, verbose=0)
    np.testing.assert_allclose(np.asarray(model.layers[0](X[:5])), X[:5] / 16, rtol=1e-6)

    hp = fixed(preprocessing="standardize")
    model = hypermodel.build(hp)
    hypermodel.fit(hp, model, X, y, epochs=1, verbose=0)
    standardized = np.asarray(model.layers[0](X))
    assert abs(standardized.mean()) < 1e-3 and standardized.std() == pytest.approx(1.0, abs=1e-3)
    assert predict(model, X[:5]).shape == (5,)


def test_random_search_with_the_hypermodel_tunes_preprocessing_and_batch_size(tmp_path):
    (X, y), (Xv, yv) = raw_digits()
    tuner = kt.RandomSearch(MLPHyperModel(input_shape=(8, 8), max_value=16), objective="val_accuracy",
                            max_trials=2, seed=1, directory=tmp_path, project_name="hypermodel")
    tuner.search(X, y, validation_data=(Xv, yv), epochs=1, verbose=0)
    trials = tuner.oracle.get_best_trials(num_trials=5)
    assert len(trials) == 2
    for trial in trials:
        values = trial.hyperparameters.values
        assert values["preprocessing"] in ("rescale", "standardize")
        assert values["batch_size"] in (32, 64, 128, 256)
