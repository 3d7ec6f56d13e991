"""The visible checks of a threshold exercise warn with the grader's own numbers (thresholds.toml)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from autograder.thresholds import load_checks

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^TODOS, NINGUNO = ([0-9.]+), ([0-9.]+)", re.M)


def _cell(assignment: str, grade_id: str) -> str:
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return cell.source


@pytest.mark.parametrize("assignment", ["07_regularization"])
def test_visible_check_uses_the_graders_thresholds(assignment):
    for check in load_checks(ROOT, assignment):
        found = LINE.search(_cell(assignment, check.name))
        assert found, f"{assignment}: the {check.name} cell does not state the grader's thresholds"
        assert (float(found[1]), float(found[2])) == (check.full, check.zero)
