import textwrap

import nbformat
import pytest
from traitlets.config import Config

from autograder.course import Course
from autograder.feedback import summary_markdown
from autograder.runner import Report, course_lock, fingerprint, summary_table, worker_config

from .conftest import answer_and_tests


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


@pytest.mark.slow
def test_out_of_gpu_memory_on_a_shared_gpu_is_graded_again_alone(tmp_path, monkeypatch):
    """Two submissions per (pretended) GPU: one that runs out of GPU memory only under the shared cap
    is graded again with the GPU to itself and keeps its points; one out of memory even alone keeps
    status memory; both get the note; a submission that never runs out is graded once."""
    import autograder.backends as backends
    from autograder.devices import MEMORY_ENV
    from autograder.runner import Options, grade_assignment

    monkeypatch.setattr(backends, "detect_gpus", lambda: [(0, "Fake GPU")])
    monkeypatch.setattr(backends, "detect_gpu_memory", lambda: {0: 16384})
    root = tmp_path / "course"
    (root / "source" / "mini").mkdir(parents=True)
    nbformat.write(answer_and_tests(test_x="assert x == 1"), root / "source" / "mini" / "mini.ipynb")
    course = Course(root)
    released = nbformat.read(course.release("mini") / "mini.ipynb", as_version=4)
    oom = ("class OutOfMemoryError(RuntimeError):\n    pass\n"
           "raise OutOfMemoryError('CUDA out of memory. Tried to allocate 2.00 GiB')")
    answers = {"capped": f"import os\nif os.environ.get('{MEMORY_ENV}'):\n" + textwrap.indent(oom, "    ") + "\nx = 1",
               "always": oom, "fine": "x = 1"}
    for student, answer in answers.items():
        released.cells[0].source = answer
        (root / "submitted" / student / "mini").mkdir(parents=True)
        nbformat.write(released, root / "submitted" / student / "mini" / "mini.ipynb")
    report = grade_assignment(course, "mini", Options(per_gpu=2, sandbox="none", preflight=False, progress=False,
                                                      feedback=False, workers=1))
    graded = {r["student"]: r for r in report.graded}
    assert report.slots == ["gpu:0/0", "gpu:0/1"]
    assert sorted(report.regraded_alone) == ["always", "capped"]
    assert (graded["capped"]["status"], graded["capped"]["score"]) == ("ok", 1)
    assert graded["always"]["status"] == "memory" and graded["always"]["score"] == 0
    assert graded["always"]["detail"] == "la memoria de la GPU"  # alone: no cap, the whole GPU was full
    assert (graded["fine"]["status"], graded["fine"]["score"]) == ("ok", 1)
    assert "graded again alone: always, capped" in summary_table(report)
    from autograder import messages as msg

    assert msg.GRADED_ALONE in graded["capped"]["notes"] and msg.GRADED_ALONE not in graded["fine"]["notes"]
