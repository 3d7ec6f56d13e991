"""An nbgrader course directory, with its own ``nbgrader_config.py``, seen through nbgrader's API.

Nothing here is specific to this course: any directory laid out by nbgrader (``source/``,
``release/``, ``submitted/STUDENT/ASSIGNMENT/``, ``autograded/``, ``feedback/``,
``gradebook.db``) works.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

LOG_NAME = ".autograder.log"


def nbgrader_logger(root: str | Path, terminal: bool = True) -> logging.Logger:
    """nbgrader's chatter goes to ``ROOT/.autograder.log``; errors also to the terminal."""
    logger = logging.getLogger(f"autograder.{'parent' if terminal else 'worker'}.{Path(root).resolve()}")
    if not logger.handlers:
        logger.setLevel(logging.INFO)
        logger.propagate = False
        handler = logging.FileHandler(Path(root) / LOG_NAME, delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
        logger.addHandler(handler)
        if terminal:
            errors = logging.StreamHandler()
            errors.setLevel(logging.ERROR)
            logger.addHandler(errors)
    return logger


def use_environment_tools() -> None:
    """Put this Python's ``bin`` folder first on ``PATH``, as activating its environment would.

    nbgrader runs ``alembic`` (its gradebook's migrations) by name: with a virtual environment's
    Python called by its path (``/tmp/venv/bin/python -m autograder ...``, cron, CI), the
    command is not found, or a different installation's is."""
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[:1] != [bindir]:
        os.environ["PATH"] = os.pathsep.join([bindir, *(p for p in path.split(os.pathsep) if p and p != bindir)])


class Course:
    """One nbgrader course directory: its config, paths and gradebook."""

    def __init__(self, root: str | Path = "."):
        use_environment_tools()
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"course directory {self.root} does not exist")
        self.config = Config()
        config_file = self.root / "nbgrader_config.py"
        if config_file.exists():
            self.config.merge(PyFileConfigLoader(config_file.name, path=str(self.root)).load_config())
        self.config.CourseDirectory.root = str(self.root)
        self.log = nbgrader_logger(self.root)
        self.coursedir = CourseDirectory(config=self.config, log=self.log)

    # paths -------------------------------------------------------------------------------
    def path(self, step: str, student: str, assignment: str) -> Path:
        """``source``/``release``/``submitted``/``autograded``/``feedback`` folder of a submission."""
        directory = getattr(self.coursedir, f"{step}_directory")
        return Path(self.coursedir.format_path(directory, student, assignment))

    def source_dir(self, assignment: str) -> Path:
        return self.path("source", ".", assignment)

    def results_dir(self, assignment: str) -> Path:
        return self.root / "results" / assignment

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id

    def gradebook(self) -> Gradebook:
        return Gradebook(self.db_url, self.course_id)

    def submitted_students(self, assignment: str) -> list[str]:
        """Students with a folder ``submitted/STUDENT/ASSIGNMENT`` (sorted)."""
        students = []
        base = Path(self.coursedir.format_path(self.coursedir.submitted_directory, ".", ".")).resolve()
        if not base.is_dir():
            return []
        for entry in sorted(base.iterdir()):
            if entry.is_dir() and self.path("submitted", entry.name, assignment).is_dir():
                students.append(entry.name)
        return students

    def notebooks(self, assignment: str) -> list[str]:
        """Names of the assignment's notebooks in the gradebook (after ``release``)."""
        with self.gradebook() as gb:
            try:
                return sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)
            except MissingEntry:
                return []

    @contextmanager
    def _at(self, **attrs: str) -> Iterator[None]:
        old = {name: getattr(self.coursedir, name) for name in attrs}
        for name, value in attrs.items():
            setattr(self.coursedir, name, value)
        cwd = os.getcwd()
        try:
            yield
        finally:
            os.chdir(cwd)
            for name, value in old.items():
                setattr(self.coursedir, name, value)

    # nbgrader steps ------------------------------------------------------------------------
    def release(self, assignment: str) -> Path:
        """``nbgrader generate_assignment``: the student version into ``release/``."""
        from nbgrader.converters import GenerateAssignment

        if not self.source_dir(assignment).is_dir():
            raise FileNotFoundError(f"no source folder {self.source_dir(assignment)}")
        with self._at(assignment_id=assignment, student_id="."):
            app = GenerateAssignment(coursedir=self.coursedir, config=self.config, log=self.log)
            app.force = True
            app.create_assignment = True
            app.start()
        return self.path("release", ".", assignment)

    def export_grades(self, to: str | Path | None = None) -> Path:
        """``nbgrader export``: every grade of the gradebook to ``ROOT/grades.csv``."""
        from nbgrader.plugins import CsvExportPlugin

        dest = Path(to) if to else self.root / "grades.csv"
        tmp = dest.with_name(f".{dest.name}.tmp")
        plugin = CsvExportPlugin(config=self.config, log=self.log)
        plugin.to = str(tmp)
        with self.gradebook() as gb:
            plugin.export(gb)
        os.replace(tmp, dest)
        return dest
