"""The Keras (keras-tuner) and PyTorch (Optuna) searches draw from the one space of course.tuning."""

import pytest

from course import tuning


def _keras_space():
    kt = pytest.importorskip("keras_tuner")
    from course.keras.tuning import MLPHyperModel

    hp = kt.HyperParameters()
    hypermodel = MLPHyperModel(input_shape=(8, 8))
    hypermodel.build(hp)
    hp.Choice("batch_size", list(tuning.BATCH_SIZES))  # registered by MLPHyperModel.fit
    space = {}
    for p in hp.space:
        if isinstance(p, kt.engine.hyperparameters.Boolean):
            space[p.name] = (False, True)
        elif isinstance(p, kt.engine.hyperparameters.Choice):
            space[p.name] = tuple(p.values)
        else:
            space[p.name] = (p.min_value, p.max_value, p.step, p.sampling == "log")
    return space


def _optuna_space():
    optuna = pytest.importorskip("optuna")
    pytest.importorskip("torch")
    from course.torch.tuning import suggest_config, suggest_training

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    suggest_config(trial, (8, 8))
    suggest_training(trial)
    space = {}
    for name, d in trial.distributions.items():
        if isinstance(d, optuna.distributions.CategoricalDistribution):
            space[name] = tuple(d.choices)
        else:
            space[name] = (d.low, d.high, d.step, d.log)
    return space


def test_keras_and_optuna_search_the_same_space():
    keras_space, optuna_space = _keras_space(), _optuna_space()
    assert keras_space.pop("preprocessing") == tuning.PREPROCESSING  # Keras only: it takes raw pixels
    shared = ("n_layers", "units_0", "activation", "dropout", "batch_norm", "optimizer", "lr", "batch_size")
    for name in shared:
        assert keras_space[name] == optuna_space[name], name
    assert keras_space["units_0"] == (*tuning.UNITS, False)
    assert keras_space["lr"] == (*tuning.LR, None, True)
    assert keras_space["n_layers"] == (1, tuning.MAX_LAYERS, 1, False)


def test_the_initializer_follows_the_activation():
    assert set(tuning.INITIALIZER_FOR) == set(tuning.ACTIVATIONS)
    assert tuning.optimizer_hparams("sgd") == {"momentum": 0.9, "nesterov": True}
    assert tuning.optimizer_hparams("adam") == {}
