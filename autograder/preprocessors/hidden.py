"""Hidden tests, by nbgrader's ``ClearHiddenTests`` and its delimiters (``c.ClearHiddenTests.*``)."""

from __future__ import annotations

import copy
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests


class HiddenTests(ClearHiddenTests):
    """nbgrader's ``ClearHiddenTests`` that never refuses a cell (no metadata enforced): it says
    whether a cell holds hidden tests, and removes them as ``generate_assignment`` did."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.enforce_metadata = False

    def holds(self, cell: NotebookNode) -> bool:
        return self.begin_test_delimeter in cell.get("source", "")

    def released(self, cell: NotebookNode) -> NotebookNode:
        """A copy of ``cell`` as students received it."""
        cell, _ = self.preprocess_cell(copy.deepcopy(cell), {}, 0)
        return cell
