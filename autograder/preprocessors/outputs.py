"""Outputs of the executed test cells, before nbgrader's rules score them."""

from __future__ import annotations

import re
from typing import Any

from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import IgnorePattern
from traitlets import Bool

from ..scoring import is_log_text
from . import GraderPreprocessor, state


class IgnoreLogStderr(IgnorePattern):
    """nbgrader's ``IgnorePattern``, always on, that also drops the stderr of grade cells made only
    of log lines, warnings and progress bars (:func:`autograder.scoring.is_log_text`).

    nbgrader gives a grade cell zero as soon as it writes to stderr, and TensorFlow and PyTorch
    log there. A course's ``c.IgnorePattern.pattern`` still applies to every code cell."""

    enabled = Bool(True).tag(config=True)
    log_lines = Bool(True, help="Drop the stderr of grade cells made only of log lines").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any],
                        index: int) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type != "code":
            return cell, resources
        logs = self.log_lines and utils.is_grade(cell)
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = out.get("text", "")
                if (logs and is_log_text(text)) or (self.pattern and re.search(self.pattern, text)):
                    continue
            kept.append(out)
        state(resources)["dropped_stderr"] += len(cell.get("outputs", [])) - len(kept)
        cell.outputs = kept
        return cell, resources


class GuardPartialCredit(GraderPreprocessor):
    """Make nbgrader's partial-credit rule safe from the student's own outputs.

    nbgrader scores a test cell by its *first* error or numeric result, so code of the student's
    that prints a result (``sys.displayhook(10)``) before a failing assertion would earn the points.
    Here a failing test cell keeps no numeric result, and a passing one keeps only its last (the
    cell's own value, shown after everything it called)."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any],
                        index: int) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        outputs = cell.get("outputs", [])
        failed = any(o.get("output_type") == "error" or (o.get("output_type") == "stream" and o.get("name") == "stderr")
                     for o in outputs)
        results = [i for i, o in enumerate(outputs) if o.get("output_type") == "execute_result"]
        drop = set(results if failed else results[:-1])
        cell.outputs = [o for i, o in enumerate(outputs) if i not in drop]
        return cell, resources
