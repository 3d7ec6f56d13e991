"""Shared, session-scoped grading runs: the demo course, the adversarial batch, and nbgrader's quickstart course.

Each is built and graded once; the tests read what the runs left on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import nbformat.v4
import pytest

KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def nbgrader_cell(source: str, **meta) -> nbformat.NotebookNode:
    """A code cell with nbgrader's metadata (``grade_id=...``, ``solution=True``, ``grade=True``...)."""
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": False, **meta}
    return cell


def answer_and_tests(**tests: str) -> nbformat.NotebookNode:
    """A source notebook: the answer cell (``x = 1``), then one 1-point test cell per ``grade_id=source``."""
    cells = [nbgrader_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", grade_id="answer", solution=True)]
    cells += [nbgrader_cell(source, grade_id=name, grade=True, locked=True, points=1) for name, source in tests.items()]
    return nbformat.v4.new_notebook(cells=cells, metadata=KERNELSPEC)


QUICKSTART_STUDENTS = ("blank", "reference", "edited", "deleted", "broken")

CHEAT_MODEL = """import keras, json

modelo = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="softmax")])
val_accuracy = 0.99  # sin entrenar: el número es inventado
print("val_accuracy:", val_accuracy)
json.dump({"accuracy": 0.99}, open("metricas.json", "w"))
modelo.save("modelo_final.keras")"""

NOISY_RELU = """import sys, warnings

def relu(x):
    warnings.warn("esta función está obsoleta", UserWarning)
    sys.stderr.write("2024-05-01 10:00:00.123456: I tensorflow/core/util/port.cc:113] oneDNN custom operations are on.\\n")
    sys.stderr.write("W0000 00:00:1700000000.000000    1234 gpu_device.cc:2344] Cannot dlopen some GPU libraries.\\n")
    return np.maximum(0.0, np.asarray(x, dtype=float))"""

NOISY_SOFTMAX = """import sys

def softmax(z):
    print("algo salió mal en softmax", file=sys.stderr)  # not a log line: nbgrader's rule applies
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)"""


def child_env(cache: str) -> dict[str, str]:
    env = {**os.environ, "COURSE_CACHE_DIR": cache, "PYTHONUNBUFFERED": "1"}
    env.pop("COURSE_DATA_DIR", None)
    return env


def autograder(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def results_of(root: Path, assignment: str) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((root / "results" / assignment).glob("*.json"))}


def gradebook_rows(root: Path, assignment: str, course_id: str) -> dict[tuple[str, str, str], tuple]:
    """``(student, notebook, cell) -> (auto_score, needs_manual_grade)`` from a course's gradebook."""
    from nbgrader.api import Gradebook

    rows = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id) as gb:
        for submission in gb.assignment_submissions(assignment):
            for nb in submission.notebooks:
                for grade in nb.grades:
                    rows[(submission.student.id, nb.name, grade.name)] = (grade.auto_score, grade.needs_manual_grade)
    return rows


@pytest.fixture(scope="session")
def demo(tmp_path_factory, session_cache):
    """``autograder demo``, then two more submissions graded by a second, resumed run."""
    from autograder.demo import ASSIGNMENT, NOTEBOOK, fill

    root = tmp_path_factory.mktemp("demo") / "course"
    env = child_env(session_cache)
    first = autograder("demo", "--out", str(root), "--no-progress", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    mtimes = {p.name: p.stat().st_mtime_ns for p in (root / "results" / ASSIGNMENT).glob("*.json")}
    released = nbformat.read(root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    for student, answers in {"cheat": {"modelo": CHEAT_MODEL},
                             "noisy": {"relu": NOISY_RELU, "softmax": NOISY_SOFTMAX}}.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(fill(released, answers), folder / f"{NOTEBOOK}.ipynb")
    second = autograder("grade", ASSIGNMENT, "--course-dir", str(root), "--workers", "2", "--timeout", "240",
                        "--cell-timeout", "90", "--no-progress", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    return SimpleNamespace(root=root, assignment=ASSIGNMENT, notebook=NOTEBOOK, first=first, second=second,
                           mtimes=mtimes, results=results_of(root, ASSIGNMENT))


LEAK_FLAG = {"kind": "leak", "check": "modelo_final",
             "message": "<img src=x onerror=alert(1)> valid 0.93, test 0.87: ¿datos de prueba en el entrenamiento?",
             "values": {"valid": 0.93, "test": 0.87}}


@pytest.fixture(scope="session")
def demo_reviewed(demo, tmp_path_factory):
    """A copy of the graded demo course after an instructor's review: names, emails and LMS ids in nbgrader's
    student table (one name a spreadsheet formula, one with markup), a student with no submission, the written
    answer of ``reference`` graded by hand in formgrader (1.5 of 2), and an integrity flag on ``partial``."""
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("reviewed") / "course"
    shutil.copytree(demo.root, root, symlinks=True)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "demo") as gb:
        gb.update_or_create_student("reference", first_name="Ana", last_name="Pérez", email="ana@example.edu",
                                    lms_user_id="1001")
        gb.update_or_create_student("partial", first_name="=HYPERLINK(\"http://x\")", last_name="<b>Ruiz</b>",
                                    email="luis@example.edu", lms_user_id="1002")
        gb.update_or_create_student("ausente", first_name="Eva", last_name="Gómez", email="eva@example.edu",
                                    lms_user_id="1003")
        grade = gb.find_grade("respuesta_softmax", demo.notebook, demo.assignment, "reference")
        grade.manual_score = 1.5  # as formgrader's grade handler stores it
        grade.needs_manual_grade = False
        gb.db.commit()
    path = root / "results" / demo.assignment / "partial.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "flags": [LEAK_FLAG]}, ensure_ascii=False))
    return SimpleNamespace(root=root, assignment=demo.assignment, notebook=demo.notebook,
                           results=results_of(root, demo.assignment))


@pytest.fixture(scope="session")
def attacked(tmp_path_factory, session_cache):
    """The adversarial batch of ``test_adversarial.py`` (attacks on the grader, sandbox on), graded once."""
    from .test_adversarial import grade_attacks

    return grade_attacks(tmp_path_factory, session_cache)


def _solution(source: str) -> str:
    from autograder.demo import solution_of

    return solution_of(source)


@pytest.fixture(scope="session")
def quickstart(tmp_path_factory):
    """nbgrader's own quickstart course, released, with five submissions (not graded)."""
    from autograder.course import Course

    base = tmp_path_factory.mktemp("quickstart")
    made = subprocess.run(["nbgrader", "quickstart", "course101"], cwd=base, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-2000:]
    root = base / "course101"
    Course(root).release("ps1")
    release, source = root / "release" / "ps1", root / "source" / "ps1"
    for student in QUICKSTART_STUDENTS:
        folder = root / "submitted" / student / "ps1"
        shutil.copytree(source if student == "reference" else release, folder)
    solutions = {}
    for path in source.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "code":
                solutions[meta["grade_id"]] = _solution(cell.source)
    for student in ("edited", "deleted"):
        path = root / "submitted" / student / "ps1" / "problem1.ipynb"
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in ("squares", "sum_of_squares"):
                cell.source = solutions[grade_id]
            if grade_id == "squares_invalid_input" and student == "edited":
                cell.source = "pass  # the student 'fixed' the test"
        if student == "deleted":
            nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "correct_squares"]
        nbformat.write(nb, path)
    broken = root / "submitted" / "broken" / "ps1"
    (broken / "problem1.ipynb").write_text('{"cells": [ this is not json')
    (broken / "problem2.ipynb").unlink()
    return root


def kill_half_way(cmd: list[str], env: dict[str, str], results: Path) -> dict[str, str]:
    """Start a batch, SIGKILL it once a first submission is graded; ``{student: graded_at}`` left."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while not list(results.glob("*.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return {p.stem: json.loads(p.read_text())["graded_at"] for p in results.glob("*.json")}


@pytest.fixture(scope="session")
def quickstart_graded(quickstart, tmp_path_factory, session_cache):
    """The quickstart course graded three ways: plain ``nbgrader autograde``, ours with 2 workers, and
    ours with 1 worker, killed (SIGKILL) after its first submission and then run again to finish."""
    env = child_env(session_cache)
    copies = {}
    for name in ("nbgrader", "parallel", "serial"):
        copies[name] = tmp_path_factory.mktemp(name) / "course101"
        shutil.copytree(quickstart, copies[name])
    plain = subprocess.run(["nbgrader", "autograde", "ps1"], cwd=copies["nbgrader"], capture_output=True, text=True,
                           env=env, timeout=600)

    def grade(name: str, workers: str) -> list[str]:
        return [sys.executable, "-m", "autograder.cli", "grade", "ps1", "--course-dir", str(copies[name]),
                "--workers", workers, "--timeout", "120", "--no-progress"]

    parallel = subprocess.run(grade("parallel", "2"), capture_output=True, text=True, env=env, timeout=600)
    assert parallel.returncode == 0, parallel.stdout + parallel.stderr
    before_kill = kill_half_way(grade("serial", "1"), env, copies["serial"] / "results" / "ps1")
    resumed = subprocess.run(grade("serial", "1"), capture_output=True, text=True, env=env, timeout=600)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    return SimpleNamespace(copies=copies, plain=plain, parallel=parallel, resumed=resumed, before_kill=before_kill)
