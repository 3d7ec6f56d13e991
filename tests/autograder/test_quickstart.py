"""nbgrader's own quickstart course: same scores as `nbgrader autograde`, parallel == serial, resume."""

import pytest

from .conftest import QUICKSTART_STUDENTS, gradebook_rows, results_of

pytestmark = pytest.mark.slow

COMPARABLE = ("blank", "reference", "edited")  # submissions plain nbgrader grades the way we do


def test_same_scores_as_plain_nbgrader(quickstart_graded):
    plain = gradebook_rows(quickstart_graded.copies["nbgrader"], "ps1", "course101")
    ours = gradebook_rows(quickstart_graded.copies["parallel"], "ps1", "course101")
    plain = {k: v for k, v in plain.items() if k[0] in COMPARABLE}
    ours_comparable = {k: v for k, v in ours.items() if k[0] in COMPARABLE}
    assert len(plain) == 3 * 9
    assert ours_comparable == plain
    assert plain[("edited", "problem1", "squares_invalid_input")] == (1.0, False)  # edited test restored: still passes


def test_parallel_equals_serial_even_killed_and_resumed(quickstart_graded):
    parallel, serial = (quickstart_graded.copies[k] for k in ("parallel", "serial"))
    assert gradebook_rows(parallel, "ps1", "course101") == gradebook_rows(serial, "ps1", "course101")
    strip = ("runtime_s", "execution_time", "graded_at", "peak_memory_mb")
    a = {s: {k: v for k, v in r.items() if k not in strip} for s, r in results_of(parallel, "ps1").items()}
    b = {s: {k: v for k, v in r.items() if k not in strip} for s, r in results_of(serial, "ps1").items()}
    assert a == b and len(a) == 5


def test_deleted_test_cells_come_back_and_broken_notebooks_are_invalid(quickstart_graded):
    results = results_of(quickstart_graded.copies["parallel"], "ps1")
    deleted = {c["name"]: c["points"] for c in results["deleted"]["checks"]}
    assert deleted["correct_squares"] == 1.0  # restored from the source, then run
    broken = results["broken"]
    assert broken["status"] == "invalid" and broken["score"] == 0
    assert "problem2" in broken["detail"] or "problem1" in broken["detail"]
    assert all(c["points"] in (0, 0.0) for c in broken["checks"])


def test_killed_batch_resumes_without_losing_or_doubling(quickstart_graded):
    root, killed = quickstart_graded.copies["serial"], quickstart_graded.before_kill
    assert 1 <= len(killed) < len(QUICKSTART_STUDENTS), "the kill should land half-way"
    assert f"skipped {len(killed)} already graded" in quickstart_graded.resumed.stdout
    final = results_of(root, "ps1")
    assert sorted(final) == sorted(QUICKSTART_STUDENTS)
    assert all(final[student]["graded_at"] == stamp for student, stamp in killed.items())  # not graded twice
    rows = gradebook_rows(root, "ps1", "course101")
    assert len(rows) == len(QUICKSTART_STUDENTS) * 9  # one grade per student and cell, none doubled
    assert not (root / ".autograder-tmp").exists()
