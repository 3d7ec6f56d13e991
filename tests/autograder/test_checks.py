"""Check kinds: tables of thresholds.toml parsed by their kind, measured in the worker, reviewed for flags."""

from __future__ import annotations

import os

import pytest
from traitlets.config import Config

from autograder.checks import CheckContext
from autograder.checks.required_file import RequiredFile
from autograder.checks.threshold import LeakFlag, ThresholdCheck
from autograder.pipeline import Autograder
from autograder.results import Item

TOML = """
[a1]
forbid = ["course.solutions"]

[a1.modelo]
model = "m.keras"
full = 0.9
zero = 0.8
points = 4

[a1.predicciones]
kind = "required_file"
path = "salida/predicciones.csv"
points = 2
"""


def test_each_table_is_parsed_by_its_kind(tmp_path):
    (tmp_path / "thresholds.toml").write_text(TOML)
    specs = Autograder().load_checks(tmp_path, "a1")
    assert [(s["kind"], s["name"]) for s in specs] == [("threshold", "modelo"), ("required_file", "predicciones")]
    assert specs[1] == {"kind": "required_file", "name": "predicciones", "path": "salida/predicciones.csv",
                        "points": 2.0, "min_bytes": 1, "hint": ""}
    config = Config()
    config.Autograder.checks = [ThresholdCheck, LeakFlag]  # a course without the kind
    with pytest.raises(ValueError, match="unknown kind 'required_file'"):
        Autograder(config=config).load_checks(tmp_path, "a1")


@pytest.mark.parametrize("table", ['kind = "required_file"\npoints = 1\n',
                                   'kind = "required_file"\npath = "../fuera.csv"\npoints = 1\n',
                                   'kind = "required_file"\npath = "a.csv"\npoints = 1\ntypo = 2\n'])
def test_bad_required_file_tables_are_refused(tmp_path, table):
    (tmp_path / "thresholds.toml").write_text(f"[a1.f]\n{table}")
    with pytest.raises(ValueError, match=r"\[a1.f\]"):
        Autograder().load_checks(tmp_path, "a1")


def test_a_required_file_must_be_a_plain_file_of_enough_bytes(tmp_path):
    kind = RequiredFile()
    spec = kind.parse("pred", {"kind": "required_file", "path": "pred.csv", "points": 2, "min_bytes": 3}, "here")
    context = CheckContext(work=tmp_path, scratch=tmp_path / "scratch")
    missing = kind.measure(spec, context, None)
    assert (missing.points, missing.max) == (0.0, 2.0) and "no generó el archivo pred.csv" in missing.message
    (tmp_path / "pred.csv").write_text("1")
    assert kind.measure(spec, context, None).points == 0.0
    (tmp_path / "pred.csv").write_text("1,2,3\n")
    done = kind.measure(spec, context, max_points=5)  # the grade cell named like the check sets the points
    assert (done.points, done.max, done.value, done.kind) == (5, 5, 6.0, "required_file")
    os.unlink(tmp_path / "pred.csv")
    os.symlink("/etc/hostname", tmp_path / "pred.csv")
    assert "no es un archivo normal" in kind.measure(spec, context, None).message
    assert kind.files(spec) == ["pred.csv"]


def test_a_leak_flag_reviews_threshold_results_only():
    spec = {"kind": "threshold", "name": "m", "model": "m.keras", "full": 0.9, "zero": 0.8, "points": 4,
            "leak_split": "test", "leak_gap": 0.03}
    leaked = Item("m", None, "threshold", 4, 4, "", value=0.99, metric="accuracy",
                  leak={"split": "test", "value": 0.85, "n": 10})
    flag = LeakFlag().review(spec, leaked)
    assert flag is not None and flag.to_dict()["gap"] == pytest.approx(0.14) and flag.check == "m"
    assert set(flag.to_dict()) == {"kind", "check", "message", "gap", "values"}
    assert LeakFlag().review({**spec, "kind": "required_file"}, leaked) is None
    assert LeakFlag().review(spec, Item("m", None, "threshold", 0, 4, "", value=None, metric="accuracy")) is None


class Budget(RequiredFile):  # a course's own kind, as nbgrader_config.py would name it
    kind = "budget"


def test_a_courses_own_kind_reaches_workers_by_name():
    config = Config()
    config.Autograder.checks = [ThresholdCheck, Budget]
    config.IgnorePattern.pattern = "ruido"
    chosen = Autograder(config=config).worker_config(config)
    assert chosen["Autograder"]["checks"] == ["autograder.checks.threshold.ThresholdCheck",
                                              f"{__name__}.Budget"]
    assert chosen["IgnorePattern"] == {"pattern": "ruido"}  # nbgrader's section: read by IgnoreLogStderr
    assert "Budget" in Autograder(config=config).sections()
