"""Recording what the executed notebook says: the kit names it called, its graded items."""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader import utils

from .. import messages as msg
from .. import restrict, scoring
from ..results import Item, NotAllowed
from . import GraderPreprocessor, state
from .hidden import HiddenTests


class RecordNotAllowed(GraderPreprocessor):
    """The cells that called a name of the kit the assignment forbids, with the kit's message."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any],
                        index: int) -> tuple[NotebookNode, dict[str, Any]]:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error" and out.get("ename") == restrict.ERROR_NAME:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                state(resources)["not_allowed"].append(NotAllowed(
                    resources["nbgrader"]["notebook"], grade_id or msg.CELL_N.format(n=index + 1), str(out.get("evalue", ""))[:300]))
                break
        return cell, resources


def kind_of(cell: NotebookNode) -> str:
    if cell.cell_type != "code":
        return "written"
    return "answer" if utils.is_solution(cell) else "tests"


class RecordGrades(GraderPreprocessor):
    """An :class:`~autograder.results.Item` per grade cell (nbgrader's score, a Spanish message)
    and per open task (pending a manual grade)."""

    uses = (HiddenTests,)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        self._hidden = HiddenTests(parent=self)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any],
                        index: int) -> tuple[NotebookNode, dict[str, Any]]:
        notebook = resources["nbgrader"]["notebook"]
        items = state(resources)["items"]
        if utils.is_task(cell):
            items.append(Item(cell.metadata.nbgrader["grade_id"], notebook, "task", None,
                              float(cell.metadata.nbgrader.get("points", 0)), msg.TASK_PENDING))
        if utils.is_grade(cell):
            score, max_score = scoring.cell_score(cell)
            items.append(Item(cell.metadata.nbgrader["grade_id"], notebook, kind_of(cell), score, max_score,
                              scoring.cell_message(cell, score, max_score),
                              visibility="after_published" if self._hidden.holds(cell) else "visible"))
        return cell, resources
