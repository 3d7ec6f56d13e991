"""``autograder export``: Canvas' and Moodle's import CSVs and a plain CSV, parsed back and compared with the
gradebook of the demo course (graded once per session) and of its reviewed copy (manual grade, identities)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.cli import main
from autograder.export import CANVAS_COLUMNS, MOODLE_COLUMNS, text

pytestmark = [pytest.mark.slow, pytest.mark.needs_data]


def export(course, fmt: str, out: Path, *extra: str) -> tuple[list[str], list[dict[str, str]]]:
    assert main(["export", course.assignment, "--format", fmt, "--course-dir", str(course.root), "--out", str(out),
                 *extra]) == 0
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def gradebook(root: Path, assignment: str) -> dict[str, dict]:
    """Straight from nbgrader's API: each student's identity and nbgrader export's score (None: no submission)."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "demo") as gb:
        subs = {s.student.id: s for s in gb.assignment_submissions(assignment)}
        out = {}
        for student in gb.students:
            sub = subs.get(student.id)
            cells = {}
            if sub is not None:
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        pending = grade.needs_manual_grade and grade.manual_score is None
                        cells[f"{nb.name}/{grade.name}"] = None if pending else grade.score
            out[student.id] = {
                "first": student.first_name or "", "last": student.last_name or "", "email": student.email or "",
                "lms": student.lms_user_id or "", "cells": cells,
                "score": None if sub is None else max(0.0, sub.score - (sub.late_submission_penalty or 0))}
        return out


@pytest.fixture(params=["demo", "demo_reviewed"])
def course(request):
    return request.getfixturevalue(request.param)


def test_canvas_csv_matches_the_gradebook(course, tmp_path, capsys):
    header, rows = export(course, "canvas", tmp_path / "canvas.csv")
    assert header == CANVAS_COLUMNS + [course.assignment]
    book = gradebook(course.root, course.assignment)
    assert [r["SIS User ID"] for r in rows] == sorted(book)
    for row in rows:
        entry = book[row["SIS User ID"]]
        assert float(row[course.assignment]) == pytest.approx(entry["score"] or 0.0, abs=1e-4)
        assert row["ID"] == entry["lms"]
        assert row["SIS Login ID"] == (entry["email"] or row["SIS User ID"])
        assert row["Section"] == ""
        name = ", ".join(p for p in (entry["last"], entry["first"]) if p) or row["SIS User ID"]
        assert row["Student"] == text(name)
    assert f"to {tmp_path / 'canvas.csv'}" in capsys.readouterr().out


def test_moodle_csv_matches_the_gradebook(course, tmp_path):
    header, rows = export(course, "moodle", tmp_path / "moodle.csv", "--column", "Práctica 3: MLP")
    assert header == MOODLE_COLUMNS + ["Práctica 3: MLP"]
    book = gradebook(course.root, course.assignment)
    assert {r["Username"] for r in rows} == set(book)
    for row in rows:
        entry = book[row["Username"]]
        assert float(row["Práctica 3: MLP"]) == pytest.approx(entry["score"] or 0.0, abs=1e-4)
        assert (row["Email address"], row["User ID"]) == (entry["email"], entry["lms"])
        assert (row["First name"], row["Last name"]) == (text(entry["first"]), text(entry["last"]))


def test_plain_csv_has_every_cell_of_the_gradebook(course, tmp_path):
    header, rows = export(course, "csv", tmp_path / "grades.csv")
    book = gradebook(course.root, course.assignment)
    cells = header[header.index("needs_manual_grade") + 1:]
    assert cells and all("/" in c for c in cells)
    for row in rows:
        entry = book[row["student"]]
        if entry["score"] is None:
            assert row["status"] == "missing" and row["score"] == "0"
            continue
        assert float(row["score"]) == pytest.approx(entry["score"], abs=1e-4)
        assert row["status"] == course.results[row["student"]]["status"]
        assert row["needs_manual_grade"] == ("yes" if None in entry["cells"].values() else "no")
        for cell in cells:
            expected = entry["cells"][cell]
            if expected is None:
                assert row[cell] == ""
            else:
                assert float(row[cell]) == pytest.approx(expected)


def test_manual_grades_identities_and_missing_students(demo_reviewed, tmp_path, capsys):
    _, canvas = export(demo_reviewed, "canvas", tmp_path / "c.csv", "--canvas-id", "4242", "--column", "MLP")
    by_id = {r["SIS User ID"]: r for r in canvas}
    assert by_id["reference"] == {"Student": "Pérez, Ana", "ID": "1001", "SIS User ID": "reference",
                                  "SIS Login ID": "ana@example.edu", "Section": "", "MLP (4242)": "12.5"}
    assert by_id["ausente"]["MLP (4242)"] == "0"  # no submission: 0, as nbgrader's grades.csv
    _, sis = export(demo_reviewed, "canvas", tmp_path / "s.csv", "--lms-id", "sis")
    by_sis = {r["SIS User ID"]: r for r in sis}
    assert by_sis["1001"]["ID"] == "" and by_sis["1001"]["SIS Login ID"] == "ana@example.edu"
    assert by_sis["blank"]["ID"] == ""  # no lms_user_id: the nbgrader id
    assert "wait for a manual grade" not in capsys.readouterr().err  # reference's answer is graded now
    _, blank = export(demo_reviewed, "moodle", tmp_path / "m.csv", "--missing", "blank")
    by_user = {r["Username"]: r for r in blank}
    assert by_user["ausente"][demo_reviewed.assignment] == ""
    assert by_user["partial"]["First name"] == "'=HYPERLINK(\"http://x\")"  # not a formula in a spreadsheet
    assert by_user["partial"]["Email address"] == "luis@example.edu"
    _, plain = export(demo_reviewed, "csv", tmp_path / "p.csv")
    ref = next(r for r in plain if r["student"] == "reference")
    assert ref[f"{demo_reviewed.notebook}/respuesta_softmax"] == "1.5" and ref["needs_manual_grade"] == "no"


def test_a_pending_manual_grade_is_a_warning(demo, tmp_path, capsys):
    export(demo, "csv", tmp_path / "g.csv")
    assert "1 submission(s) wait for a manual grade" in capsys.readouterr().err


def test_default_path_and_unknown_assignment(demo_reviewed, capsys):
    root = str(demo_reviewed.root)
    assert main(["export", demo_reviewed.assignment, "--format", "canvas", "--course-dir", root]) == 0
    assert (demo_reviewed.root / "exports" / demo_reviewed.assignment / "canvas.csv").is_file()
    assert main(["export", "nope", "--format", "csv", "--course-dir", str(demo_reviewed.root)]) == 2
    assert "'nope' is not in the gradebook" in capsys.readouterr().err
