import pytest
from traitlets.config import Config

from autograder.course import Course
from autograder.feedback import summary_markdown
from autograder.runner import Report, course_lock, fingerprint, summary_table, worker_config


def test_fingerprint_follows_content_and_skips_ignored_files(tmp_path):
    (tmp_path / "a.ipynb").write_text("one")
    first = fingerprint(tmp_path, [".ipynb_checkpoints"])
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("noise")
    assert fingerprint(tmp_path, [".ipynb_checkpoints"]) == first
    (tmp_path / "a.ipynb").write_text("two")
    assert fingerprint(tmp_path, [".ipynb_checkpoints"]) != first


def test_worker_config_keeps_preprocessor_settings_and_restores_deleted_tests_by_default():
    config = Config()
    config.Execute.timeout = 12
    config.LimitOutput.max_lines = 5
    config.GenerateFeedback.preprocessors = [object]  # not for workers, and not JSON
    chosen = worker_config(config)
    assert chosen == {"Execute": {"timeout": 12}, "LimitOutput": {"max_lines": 5},
                      "OverwriteCells": {"add_missing_cells": True}}
    config.OverwriteCells.add_missing_cells = False
    assert worker_config(config)["OverwriteCells"] == {"add_missing_cells": False}


def test_one_batch_per_course_at_a_time(tmp_path):
    course = Course(tmp_path)
    with course_lock(course):
        with pytest.raises(RuntimeError, match="another autograder"):
            with course_lock(course):
                pass
    with course_lock(course):  # released
        pass


RESULT = {
    "student": "ana", "status": "ok", "score": 3.0, "max_score": 6.0, "runtime_s": 1.5, "device": "cpu",
    "message": "La libreta se ejecutó completa.", "needs_manual_grade": True, "late_penalty": 0,
    "checks": [
        {"name": "tests_relu", "points": 2.0, "max": 2.0, "message": "Correcto.", "manual": False},
        {"name": "tests_softmax", "points": 1.0, "max": 3.0, "message": "Falló (AssertionError).", "manual": False},
        {"name": "respuesta", "points": None, "max": 1.0, "message": "Pendiente.", "manual": True},
    ],
}


def test_spanish_summary_lists_what_passed_and_what_failed():
    text = summary_markdown(RESULT)
    assert "3 de 6 puntos" in text
    assert "**Superado:** tests_relu." in text and "**Por mejorar:** tests_softmax." in text
    assert "| respuesta | pendiente |" in text


def test_summary_table_has_a_row_per_submission_and_the_totals():
    report = Report("demo", graded=[RESULT, {**RESULT, "student": "bo", "status": "timeout", "score": 0.0,
                                             "needs_manual_grade": False}], skipped=["cy"], slots=["cpu:0"], seconds=3)
    table = summary_table(report)
    lines = table.splitlines()
    assert lines[0].split() == ["student", "status", "score", "max", "seconds", "device", "flags"]
    assert lines[2].split()[:3] == ["ana", "ok", "3*"] and lines[3].split()[:3] == ["bo", "timeout", "0"]
    assert "graded 2 (1 ok, 1 timeout), skipped 1 already graded" in table
