import pytest

from autograder.thresholds import Check, evaluate, grade_check, leak_flag, load_checks

TOML = """
[07_regularization.final_model]
model = "final_model.keras"
dataset = "fashion_mnist"
validation = 0.2
split = "valid"
metric = "accuracy"
full = 0.90
zero = 0.85
points = 10

[other.m]
model = "m.pt"
full = 0.5
zero = 0.4
points = 1
"""


def test_checks_are_read_per_assignment(tmp_path):
    (tmp_path / "thresholds.toml").write_text(TOML)
    [check] = load_checks(tmp_path, "07_regularization")
    assert (check.name, check.model, check.validation, check.full, check.zero, check.points) == \
        ("final_model", "final_model.keras", 0.2, 0.90, 0.85, 10)
    assert load_checks(tmp_path, "01_perceptron") == []
    assert load_checks(tmp_path / "nowhere", "07_regularization") == []


@pytest.mark.parametrize("bad", ['[a.c]\nmodel = "m.keras"\nfull = 1\nzero = 1\npoints = 1\n',
                                 '[a.c]\nmodel = "m.keras"\nfull = 1\n',
                                 '[a.c]\nmodel = "m.keras"\nfull = 1\nzero = 0\npoints = 1\ntypo = 3\n'])
def test_bad_tables_are_refused(tmp_path, bad):
    (tmp_path / "thresholds.toml").write_text(bad)
    with pytest.raises(ValueError):
        load_checks(tmp_path, "a")


def test_missing_or_escaping_models_score_zero_without_running_anything(tmp_path):
    check = Check(name="m", model="model.keras", full=0.9, zero=0.8, points=4)
    work = tmp_path / "work"
    work.mkdir()
    assert "no se encontró" in evaluate(check, work, tmp_path / "a")["error"]
    (tmp_path / "outside.keras").write_text("x")
    escaping = Check(name="m", model="../outside.keras", full=0.9, zero=0.8, points=4)
    assert "sale de la carpeta" in evaluate(escaping, work, tmp_path / "b")["error"]
    assert not (tmp_path / "a" / "out").exists()  # nothing was run
    graded = grade_check(check, {"error": "no se encontró el archivo model.keras"})
    assert graded["score"] == 0 and "model.keras" in graded["message"]


def test_unreadable_model_is_a_message_not_a_crash(tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "model.keras").write_text("not a zip archive")
    check = Check(name="m", model="model.keras", full=0.9, zero=0.8, points=4, dataset="regression", metric="mse")
    result = evaluate(check, tmp_path / "work", tmp_path / "scratch", timeout=120)
    assert "no se pudo evaluar" in result["error"]


def test_grade_check_gives_partial_credit_with_a_spanish_message():
    check = Check(name="m", model="model.keras", full=0.9, zero=0.8, points=4)
    graded = grade_check(check, {"value": 0.85, "n": 5000})
    assert graded["score"] == pytest.approx(2.0) and graded["value"] == 0.85
    assert graded["message"].startswith("Crédito parcial") and "0.8500" in graded["message"]
    assert grade_check(check, {"value": 0.95}, max_points=6)["score"] == 6


def test_a_split_far_better_than_the_leak_split_is_flagged_without_changing_the_score():
    check = Check(name="m", model="model.keras", full=0.9, zero=0.8, points=4, leak_split="test", leak_gap=0.03)
    honest = {"value": 0.91, "n": 12000, "leak": {"split": "test", "value": 0.905, "n": 10000}}
    assert leak_flag(check, honest) is None
    leaked = {"value": 0.99, "n": 12000, "leak": {"split": "test", "value": 0.85, "n": 10000}}
    flag = leak_flag(check, leaked)
    assert flag["kind"] == "leak" and flag["gap"] == pytest.approx(0.14)
    assert flag["values"] == {"valid": 0.99, "test": 0.85} and "la nota no cambia" in flag["message"]
    assert grade_check(check, leaked)["score"] == 4
    assert leak_flag(Check(name="m", model="m.keras", full=0.9, zero=0.8, points=4), leaked) is None  # not asked
    errors = Check(name="e", model="m.keras", full=0.1, zero=0.5, points=4, metric="mse", leak_split="test")
    assert leak_flag(errors, {"value": 0.05, "leak": {"value": 0.30}}) is not None  # an error: lower is better
    assert leak_flag(errors, {"value": 0.30, "leak": {"value": 0.05}}) is None
