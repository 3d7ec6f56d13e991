"""The class's grades for one assignment: nbgrader's gradebook, joined with the results JSONs.

The gradebook is the record: it holds the manual grades entered in formgrader after the batch,
which the results JSONs (written at grading time) do not. A student's total follows nbgrader's
``export`` (the gradebook's score less the late penalty, never below zero), plus the points of
threshold checks that have no grade cell of their own (``thresholds.toml`` checks named like no
cell), which only the results JSON holds. The report and the exports read the class from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from nbgrader.api import MissingEntry

from .course import Course
from .thresholds import load_checks


@dataclass
class CellGrade:
    notebook: str
    name: str
    kind: str  # tests, answer, written, threshold, task (the results JSON's), else from the cell type
    points: float | None  # None: waiting for a manual grade
    max: float
    manual: bool  # graded by hand (in formgrader)


@dataclass
class StudentGrade:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""
    submitted: bool = False
    timestamp: str = ""
    raw_score: float = 0.0  # the gradebook's, before the late penalty
    late_penalty: float = 0.0
    extra_score: float = 0.0  # threshold checks without a grade cell (results JSON)
    score: float = 0.0
    max_score: float = 0.0
    needs_manual_grade: bool = False
    cells: list[CellGrade] = field(default_factory=list)
    result: dict[str, Any] | None = None  # results/ASSIGNMENT/STUDENT.json

    @property
    def status(self) -> str:
        """The grader's status; ``missing`` without a submission, ``ungraded`` when only nbgrader graded it."""
        if self.result is not None:
            return str(self.result.get("status", "error"))
        return "ungraded" if self.submitted else "missing"

    @property
    def name(self) -> str:
        """``Last, First`` where the gradebook has names, else the id."""
        parts = [p for p in (self.last_name, self.first_name) if p]
        return ", ".join(parts) if parts else self.id


@dataclass
class ClassGrades:
    course_id: str
    assignment: str
    max_score: float
    students: list[StudentGrade]
    cells: list[tuple[str, str, float]]  # (notebook, cell, max) in notebook order
    extra_checks: list[str]  # threshold checks whose points are outside the gradebook
    orphans: list[str]  # results JSONs with no student in the gradebook

    def by_id(self) -> dict[str, StudentGrade]:
        return {s.id: s for s in self.students}

    @property
    def submitted(self) -> list[StudentGrade]:
        return [s for s in self.students if s.submitted]


def read_results(course: Course, assignment: str) -> dict[str, dict[str, Any]]:
    """``{student: results JSON}`` of ``results/ASSIGNMENT/`` (unreadable files are skipped)."""
    results = {}
    folder = course.results_dir(assignment)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            results[str(data.get("student") or path.stem)] = data
    return results


def class_grades(course: Course, assignment: str) -> ClassGrades:
    """Every student of the gradebook (with or without a submission), sorted by id."""
    results = read_results(course, assignment)
    with course.gradebook() as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"assignment {assignment!r} is not in the gradebook of {course.root}") from None
        notebooks = sorted(record.notebooks, key=lambda nb: nb.name)
        cells = [(nb.name, c.name, float(c.max_score)) for nb in notebooks
                 for c in sorted([*nb.grade_cells, *nb.task_cells], key=_cell_order(nb))]
        cell_names = {name for _, name, _ in cells}
        extra = [c for c in load_checks(course.root, assignment) if c.name not in cell_names]
        max_score = float(record.max_score) + sum(float(c.points) for c in extra)
        submissions = {s.student.id: s for s in gb.assignment_submissions(assignment)}
        students = []
        for student in gb.students:
            grade = StudentGrade(id=student.id, first_name=student.first_name or "", last_name=student.last_name or "",
                                 email=student.email or "", lms_user_id=student.lms_user_id or "",
                                 max_score=max_score, result=results.get(student.id))
            submission = submissions.get(student.id)
            if submission is not None:
                grade.submitted = True
                grade.timestamp = str(submission.timestamp or "")
                grade.raw_score = float(submission.score or 0.0)
                grade.late_penalty = float(submission.late_submission_penalty or 0.0)
                order = {(nb, name): i for i, (nb, name, _) in enumerate(cells)}
                grade.cells = sorted(_cells(submission, grade.result),
                                     key=lambda c: order.get((c.notebook, c.name), len(order)))
                grade.needs_manual_grade = any(c.points is None for c in grade.cells)
            if grade.result is not None:
                names = {c.name for c in extra}
                grade.extra_score = sum(float(c.get("points") or 0.0) for c in grade.result.get("checks") or []
                                        if c.get("notebook") is None and c.get("name") in names)
            grade.score = round(max(0.0, grade.raw_score + grade.extra_score - grade.late_penalty), 4)
            students.append(grade)
    students.sort(key=lambda s: s.id)
    known = {s.id for s in students}
    return ClassGrades(course_id=course.course_id, assignment=assignment, max_score=round(max_score, 4),
                       students=students, cells=cells, extra_checks=[c.name for c in extra],
                       orphans=sorted(set(results) - known))


def _cell_order(nb: Any):
    """Cells in the order of the source notebook where the gradebook knows it (nbgrader's ``source_cells``)."""
    order = {cell.name: i for i, cell in enumerate(getattr(nb, "source_cells", []) or [])}
    return lambda cell: (order.get(cell.name, len(order)), cell.name)


def _cells(submission: Any, result: dict[str, Any] | None) -> list[CellGrade]:
    kinds = {(c.get("notebook"), c.get("name")): c.get("kind") for c in (result or {}).get("checks") or []}
    cells = []
    for nb in sorted(submission.notebooks, key=lambda n: n.name):
        for grade in nb.grades:
            pending = bool(grade.needs_manual_grade) and grade.manual_score is None
            kind = kinds.get((nb.name, grade.name)) or ("tests" if grade.cell_type == "code" else "written")
            cells.append(CellGrade(notebook=nb.name, name=grade.name, kind=kind,
                                   points=None if pending else float(grade.score), max=float(grade.max_score),
                                   manual=grade.manual_score is not None))
    return cells


def number(value: float | None) -> str:
    """A score as the platforms read it: plain decimal, at most four places, no trailing zeros."""
    if value is None:
        return ""
    text = f"{round(float(value), 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text

