import pytest

pytest.importorskip("torch")
optuna = pytest.importorskip("optuna")

from course.models import MLPConfig  # noqa: E402
from course.torch.tuning import make_objective, suggest_config  # noqa: E402

GOOD = {"n_layers": 1, "units_0": 64, "activation": "relu", "dropout": 0.0, "batch_norm": False,
        "optimizer": "adam", "lr": 3e-3, "batch_size": 32}
# Plain tiny steps with a large batch: after one epoch it is still near chance.
BAD = {"n_layers": 1, "units_0": 32, "activation": "relu", "dropout": 0.5, "batch_norm": False,
       "optimizer": "sgd", "lr": 1e-4, "batch_size": 256}


from ..small_data import digits_split  # noqa: E402


def digits():
    return digits_split(1000, 400)


def test_study_reports_every_epoch_and_the_median_pruner_prunes():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    train, valid = digits()
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    study.enqueue_trial(GOOD)
    study.enqueue_trial(BAD)
    study.optimize(make_objective(train, valid, epochs=2, device="cpu"), n_trials=3)

    states = [t.state for t in study.trials]
    assert len(states) == 3 and optuna.trial.TrialState.PRUNED in states
    first = study.trials[0]
    assert first.state == optuna.trial.TrialState.COMPLETE
    assert sorted(first.intermediate_values) == [0, 1]  # one report per epoch
    assert first.value == first.intermediate_values[1]
    assert study.best_value > 0.5  # chance is 0.1
    pruned = study.trials[1]
    assert pruned.state == optuna.trial.TrialState.PRUNED and list(pruned.intermediate_values) == [0]
    # The trial keeps its network, and the best parameters rebuild it.
    config = MLPConfig.from_dict(study.best_trial.user_attrs["config"])
    assert config == suggest_config(optuna.trial.FixedTrial(study.best_params), (8, 8))
    assert config.hidden == (64,)


def test_objective_infers_shape_and_classes_and_searches_log_uniform_lr():
    train, valid = digits()
    objective = make_objective(train, valid, epochs=1, device="cpu")
    assert 0.3 < objective(optuna.trial.FixedTrial(GOOD)) <= 1.0  # chance is 0.1

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    study.tell(trial, objective(trial))
    assert trial.distributions["lr"] == optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)
    assert trial.distributions["batch_size"].choices == (32, 64, 128, 256)
    config = MLPConfig.from_dict(trial.user_attrs["config"])
    assert config.input_shape == (8, 8) and config.n_outputs == 10
