"""Fixture notebooks for the grader's preprocessors, built in code: a notebook in, a notebook out."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output


def _cell(source: str, kind: str = "code", outputs: list | None = None, **meta) -> nbformat.NotebookNode:
    cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
    if meta:
        cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": False, **meta}
    if kind == "code":
        cell.outputs = outputs or []
    return cell


@pytest.fixture
def make_cell():
    return _cell


@pytest.fixture
def graded_notebook():
    """An executed notebook: an answer, a passing test with log lines on stderr, a failing test that
    printed a numeric result first, a hidden test, a cell that called a forbidden kit name, a task."""
    stderr_logs = new_output("stream", name="stderr", text="W0000 00:00:1700000000.000000  1 gpu.cc:1] no GPU\n")
    return nbformat.from_dict(new_notebook(cells=[
        _cell("def f(x):\n    return x", grade_id="answer", solution=True),
        _cell("assert f(1) == 1", outputs=[stderr_logs], grade_id="test_log", grade=True, locked=True, points=1),
        _cell("import sys; sys.displayhook(2.0); assert f(1) == 2", outputs=[
            new_output("execute_result", data={"text/plain": "2.0"}, execution_count=1),
            new_output("error", ename="AssertionError", evalue="", traceback=[])],
            grade_id="test_fake", grade=True, locked=True, points=2),
        _cell("### BEGIN HIDDEN TESTS\nassert f(3) == 3\n### END HIDDEN TESTS", grade_id="test_hidden", grade=True,
              locked=True, points=1),
        _cell("relu(1)", outputs=[new_output("error", ename="NotAllowedInGrading", evalue="course.relu no está",
                                             traceback=[])]),
        _cell("Explica.", kind="markdown", grade_id="task", task=True, points=3),
    ]))


@pytest.fixture
def resources():
    return {"nbgrader": {"notebook": "nb", "assignment": "a1", "student": "ana"}}
