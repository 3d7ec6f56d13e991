"""The grader's preprocessors: nbgrader ``NbGraderPreprocessor`` subclasses, one per step.

:class:`autograder.pipeline.Autograder` runs them in three configurable lists (sanitize, execute,
record), as nbgrader's ``Autograde`` does; each reads its traitlets config from the course's
``nbgrader_config.py``. What a step learns for the grader (cells tampered with, kit names used,
the graded items) goes to ``resources["autograder"]`` (see :func:`state`).
"""

from __future__ import annotations

from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor


def state(resources: dict[str, Any]) -> dict[str, Any]:
    """The grader's own part of the resources, shared by the steps of one notebook."""
    found = resources.setdefault("autograder", {})
    for key in ("tampered", "not_allowed", "items"):
        found.setdefault(key, [])
    found.setdefault("dropped_stderr", 0)
    return found


class GraderPreprocessor(NbGraderPreprocessor):
    """A step of the grader. ``uses``: other configurables it builds, whose config sections the
    worker must receive too."""

    uses: tuple[type, ...] = ()


from .hidden import HiddenTests  # noqa: E402
from .outputs import GuardPartialCredit, IgnoreLogStderr  # noqa: E402
from .record import RecordGrades, RecordNotAllowed  # noqa: E402
from .tampering import CheckTampering  # noqa: E402

__all__ = ["CheckTampering", "GraderPreprocessor", "GuardPartialCredit", "HiddenTests", "IgnoreLogStderr",
           "RecordGrades", "RecordNotAllowed", "state"]
