"""How `pytest -n N` (the README's `make test`) shares the tests among pytest-xdist workers.

A notebook's cells are nbval items of one file: they must run in order, in one kernel, on one
worker. The autograder's tests share session fixtures (a graded demo batch), so all of
``tests/autograder`` goes to one worker. Every other file is a unit of its own.

The grouping is a scheduler (xdist's ``pytest_xdist_make_scheduler`` hook), not markers: xdist's
``--dist loadgroup`` renames each item's ``_nodeid``, which pytest 9.1 and later no longer read
(``Node.nodeid`` is derived from ``Node._id``), so with the current pytest its groups silently
fall apart and cells of one notebook run on both workers, each in a fresh kernel.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

SHARED_GROUPS = ("tests/autograder/",)  # one worker for each of these folders


def scope_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or a shared folder."""
    path = nodeid.split("::", 1)[0]
    for folder in SHARED_GROUPS:
        if path.startswith(folder):
            return folder
    return path


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # pytest-xdist not installed: tests run in one process, in order
    LoadScopeScheduling = None
else:

    class CourseScheduling(LoadScopeScheduling):
        """xdist's scope scheduling (whole units to one worker, in collection order), by :func:`scope_of`."""

        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if LoadScopeScheduling is None or config.getvalue("dist") in ("each", "no"):
        return None
    return CourseScheduling(config, log)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """With ``COURSE_SCHEDULE_LOG=FILE``, each test's worker and id, in the order they start
    (``scripts/check_schedule.py FILE`` then checks that every notebook ran on one worker, in order)."""
    log = os.environ.get("COURSE_SCHEDULE_LOG")
    if log:
        with open(log, "a") as fh:
            fh.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')} {item.nodeid}\n")
