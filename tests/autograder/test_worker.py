"""The worker's bounds, its clean-up of the working folder, and faults that are the grader's."""

from __future__ import annotations

import os
import sys

import pytest

from autograder.sandbox import GraderKernelManager, Limits
from autograder.worker import Job, TooLarge, check_submission, clean_workdir, copy_plain_files, grade


def test_a_submission_past_its_bounds_is_refused_before_it_is_read(tmp_path):
    (tmp_path / "tarea.ipynb").write_text("{}")
    check_submission(tmp_path, [], Limits(files=10, disk=100))
    for i in range(20):
        (tmp_path / f"{i}.txt").touch()
    with pytest.raises(TooLarge, match="más de 10 archivos"):
        check_submission(tmp_path, [], Limits(files=10))
    (tmp_path / "grande.bin").write_bytes(b"0" * 200)
    with pytest.raises(TooLarge, match="MiB"):
        check_submission(tmp_path, [], Limits(files=None, disk=100))


def test_only_plain_files_stay_in_the_working_folder(tmp_path):
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "tarea.ipynb").write_text("{}")
    (work / "sub" / "notas.txt").write_text("mías")
    (work / "enlace").symlink_to("/etc/passwd")
    (work / "sub" / "carpeta").symlink_to(tmp_path)
    (work / "a.bin").write_text("x")
    os.link(work / "a.bin", work / "b.bin")
    os.mkfifo(work / "tubo")
    notes = clean_workdir(work, ["tarea.ipynb"], Limits())
    left = sorted(str(p.relative_to(work)) for p in work.rglob("*"))
    assert left == ["sub", "sub/notas.txt", "tarea.ipynb"]
    assert len(notes) == 1
    for words in ("enlace (enlace simbólico)", "sub/carpeta (enlace simbólico)", "a.bin (enlace duro)",
                  "tubo (archivo especial)"):
        assert words in notes[0]
    dest = tmp_path / "copy"
    copy_plain_files(work, dest)
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()) == ["sub/notas.txt", "tarea.ipynb"]


def test_past_the_bounds_only_the_graded_files_stay(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "tarea.ipynb").write_text("{}")
    (work / "modelo.keras").write_text("m")
    for i in range(30):
        (work / f"{i}.txt").write_text("x")
    notes = clean_workdir(work, ["tarea.ipynb", "modelo.keras"], Limits(files=10))
    assert sorted(p.name for p in work.iterdir()) == ["modelo.keras", "tarea.ipynb"]
    assert "demasiados archivos" in notes[-1]


@pytest.mark.slow
def test_a_kernel_that_never_runs_a_cell_is_the_graders_fault(tmp_path, monkeypatch):
    """A kernel that cannot start is the grader's environment: status error (graded again next
    time), never a crash with zero points that blames the student."""
    from autograder.course import Course
    from autograder.demo import ASSIGNMENT, NOTEBOOK, build_course

    root = build_course(tmp_path / "course")
    course = Course(root)
    out = tmp_path / "out"
    out.mkdir()
    job = Job(course_root=str(root), course_id=course.course_id, assignment=ASSIGNMENT, student="reference",
              submission_dir=str(course.path("submitted", "reference", ASSIGNMENT)),
              source_dir=str(course.source_dir(ASSIGNMENT)), notebooks=[NOTEBOOK], db_url=course.db_url,
              out_dir=str(out), timeout=120, cell_timeout=60)
    monkeypatch.setattr(GraderKernelManager, "format_kernel_cmd",
                        lambda self, extra_arguments=None: [sys.executable, "-c", "raise SystemExit(3)"])
    result = grade(job)
    assert result.status == "error", result
    assert "ninguna celda" in result.detail
