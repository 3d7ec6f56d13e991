"""``autograder export``: the gradebook as files that learning platforms import.

- ``canvas``: Canvas' gradebook import CSV. Columns ``Student, ID, SIS User ID, SIS Login ID,
  Section``, then one grade column. Canvas matches a row to a student by ``ID`` (Canvas' user id),
  else ``SIS User ID``, else ``SIS Login ID``; we fill ``ID`` with nbgrader's ``lms_user_id``,
  ``SIS User ID`` with the nbgrader id, and ``SIS Login ID`` with the email (else the id); with
  ``lms_id="sis"`` (a roster whose ``lms_user_id`` holds SIS ids) ``ID`` stays empty and
  ``SIS User ID`` gets the ``lms_user_id`` (else the nbgrader id). The grade
  column is ``NAME (CANVAS_ID)`` for an existing Canvas assignment (``--canvas-id``, the number in
  the assignment's URL); a bare ``NAME`` makes Canvas create a new assignment on import. The
  optional ``Points Possible`` row is left out; Canvas ignores the ``Student`` and ``Section`` values.
- ``moodle``: a CSV for Moodle's *Import grades: CSV file*: ``First name, Last name, Username,
  Email address, User ID`` (nbgrader's id, email and ``lms_user_id``) and one grade column; on
  import, map ``Email address`` to *Email address* (or ``Username`` to *Username*) and the grade
  column to the grade item.
- ``csv``: one row per student: identity, status, raw score, late penalty, score, maximum, whether
  a manual grade is pending, and the points of each graded cell.

Totals are :mod:`autograder.grades`'s (nbgrader's ``export``: the gradebook with its manual
grades, less the late penalty; plus threshold checks with no grade cell). A student of the
gradebook without a submission gets 0, as in nbgrader's ``grades.csv`` (``missing="blank"``
leaves the grade empty, which Canvas' import leaves as it was). Cells waiting for a manual grade count 0 until
graded in formgrader. Names that a spreadsheet would read as a formula get a leading ``'``.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from .grades import ClassGrades, StudentGrade, number

FORMATS = ("canvas", "moodle", "csv")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["First name", "Last name", "Username", "Email address", "User ID"]
DEFAULT_NAMES = {"canvas": "canvas.csv", "moodle": "moodle.csv", "csv": "grades.csv"}


def default_path(course_root: Path, assignment: str, fmt: str) -> Path:
    return Path(course_root) / "exports" / assignment / DEFAULT_NAMES[fmt]


def text(value: str) -> str:
    """A name as a cell: a leading ``= + - @`` (a formula to a spreadsheet) is quoted with ``'``."""
    value = str(value or "")
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def grade(student: StudentGrade, missing: str) -> str:
    if not student.submitted and missing == "blank":
        return ""
    return number(student.score if student.submitted else 0.0)


def canvas_rows(grades: ClassGrades, column: str | None = None, canvas_id: str | None = None,
                missing: str = "zero", lms_id: str = "user") -> list[list[str]]:
    """``lms_id``: what nbgrader's ``lms_user_id`` holds, Canvas' ``user`` id (default) or a ``sis`` id."""
    if lms_id not in ("user", "sis"):
        raise ValueError(f"lms_id must be 'user' or 'sis', not {lms_id!r}")
    name = column or grades.assignment
    header = CANVAS_COLUMNS + [f"{name} ({canvas_id})" if canvas_id else name]
    rows = [header]
    for s in grades.students:
        canvas_user, sis_user = (s.lms_user_id, s.id) if lms_id == "user" else ("", s.lms_user_id or s.id)
        rows.append([text(s.name), canvas_user, sis_user, s.email or s.id, "", grade(s, missing)])
    return rows


def moodle_rows(grades: ClassGrades, column: str | None = None, missing: str = "zero") -> list[list[str]]:
    rows = [MOODLE_COLUMNS + [column or grades.assignment]]
    for s in grades.students:
        rows.append([text(s.first_name), text(s.last_name), s.id, s.email, s.lms_user_id, grade(s, missing)])
    return rows


def plain_rows(grades: ClassGrades, missing: str = "zero") -> list[list[str]]:
    cells = [f"{nb}/{name}" for nb, name, _ in grades.cells]
    rows = [["student", "last_name", "first_name", "email", "lms_user_id", "status", "timestamp", "raw_score",
             "late_penalty", "score", "max_score", "needs_manual_grade", *cells, *grades.extra_checks]]
    for s in grades.students:
        points = {f"{c.notebook}/{c.name}": c.points for c in s.cells}
        extra = {c.get("name"): c.get("points") for c in (s.result or {}).get("checks") or []
                 if c.get("notebook") is None}
        rows.append([s.id, text(s.last_name), text(s.first_name), s.email, s.lms_user_id, s.status, s.timestamp,
                     number(s.raw_score), number(s.late_penalty), grade(s, missing), number(s.max_score),
                     "yes" if s.needs_manual_grade else "no",
                     *[number(points[c]) if points.get(c) is not None else "" for c in cells],
                     *[number(extra[c]) if extra.get(c) is not None else "" for c in grades.extra_checks]])
    return rows


def rows_for(grades: ClassGrades, fmt: str, column: str | None = None, canvas_id: str | None = None,
             missing: str = "zero", lms_id: str = "user") -> list[list[str]]:
    if fmt == "canvas":
        return canvas_rows(grades, column, canvas_id, missing, lms_id)
    if fmt == "moodle":
        return moodle_rows(grades, column, missing)
    if fmt == "csv":
        return plain_rows(grades, missing)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def write_csv(rows: list[list[str]], dest: str | Path) -> Path:
    """UTF-8 without a byte-order mark, written atomically."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    os.replace(tmp, dest)
    return dest
