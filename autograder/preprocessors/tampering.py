"""Read-only cells (tests, instructions) the student deleted or edited, by nbgrader's checksums."""

from __future__ import annotations

from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import ClearMarkScheme

from .. import messages as msg
from . import GraderPreprocessor, state
from .hidden import HiddenTests


class CheckTampering(GraderPreprocessor):
    """Each locked cell of the gradebook, rebuilt as the student received it (hidden tests and mark
    schemes removed by nbgrader's own preprocessors), against the submitted cell's checksum.

    Runs before ``OverwriteCells`` restores them; it records the cells in the grader's state and
    changes nothing. A check that fails in itself is logged: never a grade lost over it."""

    uses = (HiddenTests, ClearMarkScheme)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        try:
            state(resources)["tampered"] += self.tampered(nb, resources["nbgrader"])
        except Exception as exc:
            self.log.warning("tamper check of %s failed: %s", resources["nbgrader"].get("notebook"), exc)
        return nb, resources

    def tampered(self, nb: NotebookNode, where: dict[str, Any]) -> list[str]:
        submitted: dict[str, Any] = {}
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id:
                submitted.setdefault(grade_id, cell)
        hidden = HiddenTests(parent=self)
        scheme = ClearMarkScheme(parent=self)
        scheme.enforce_metadata = False
        found = []
        with Gradebook(where["db_url"], where["course_id"]) as gb:
            try:
                notebook = gb.find_notebook(where["notebook"], where["assignment"])
            except MissingEntry:
                return []
            grades = {g.name: g for g in notebook.grade_cells}
            for source in sorted(notebook.source_cells, key=lambda c: c.name):
                if not source.locked:
                    continue
                cell = submitted.get(source.name)
                if cell is None or "nbgrader" not in cell.get("metadata", {}):
                    found.append(msg.CELL_DELETED.format(cell=source.name))
                    continue
                meta = {"grade": source.name in grades, "solution": False, "locked": True, "grade_id": source.name,
                        "schema_version": 3}
                if source.name in grades:
                    meta["points"] = grades[source.name].max_score
                make = nbformat.v4.new_code_cell if source.cell_type == "code" else nbformat.v4.new_markdown_cell
                expected = hidden.released(make(source=source.source, metadata={"nbgrader": meta}))
                if expected.cell_type == "markdown":
                    try:
                        expected, _ = scheme.preprocess_cell(expected, {}, 0)
                    except Exception:  # a broken mark scheme region: compared as it is
                        pass
                try:
                    same = utils.compute_checksum(nbformat.from_dict(cell)) == utils.compute_checksum(expected)
                except Exception:  # metadata too broken to checksum
                    same = False
                if not same:
                    found.append(msg.CELL_EDITED.format(cell=source.name))
        return found
