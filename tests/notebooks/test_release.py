"""release/ is exactly what nbgrader generates from source/, leaks nothing, and runs as students get it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from .nbtools import RELEASE, SOURCE, ids, kernel_env, load_script, nbgrader_meta, secret_lines, source_notebooks

NOTEBOOKS = source_notebooks()


def release_of(source: Path) -> Path:
    return RELEASE / source.relative_to(SOURCE)


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fresh") / "release"
    load_script("release").generate(out)
    return out


def test_every_assignment_is_released():
    assert NOTEBOOKS, "no source notebooks found"
    released = sorted(p.relative_to(RELEASE) for p in RELEASE.glob("*/*.ipynb"))
    assert released == sorted(p.relative_to(SOURCE) for p in NOTEBOOKS)


@pytest.mark.slow
def test_release_equals_a_fresh_generation(fresh_release):
    diff = load_script("release").differences(RELEASE, fresh_release)
    assert not diff, "release/ is stale, run `python scripts/release.py`:\n" + "\n".join(diff)


@pytest.mark.parametrize("source", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_release_holds_no_solution_and_no_hidden_test(source):
    release = nbformat.read(release_of(source), as_version=4)
    text = "\n".join(cell.source for cell in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
        assert marker not in text, f"{marker!r} left in the release notebook"
    secrets = secret_lines(nbformat.read(source, as_version=4))
    assert secrets, "the source notebook has no solution at all"
    visible = {line.strip() for line in text.splitlines()}
    leaked = sorted(secrets & visible)
    assert not leaked, f"solution or hidden-test lines in the release notebook: {leaked[:5]}"
    assert all(not cell.get("outputs") for cell in release.cells if cell.cell_type == "code")


@pytest.mark.parametrize("source", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_graded_cells_carry_points(source):
    nb = nbformat.read(source, as_version=4)
    graded = [nbgrader_meta(c) for c in nb.cells if nbgrader_meta(c).get("grade")]
    assert graded, "no graded cell"
    assert all(m.get("points", 0) > 0 for m in graded), "every graded cell needs points"
    assert any(c.cell_type == "code" for c in nb.cells if nbgrader_meta(c).get("grade")), "no autograded test"


def _errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def _solution_names(source: Path) -> set[str]:
    """Names a student defines in the solution cells (a test cell may fail on them being missing)."""
    nb = nbformat.read(source, as_version=4)
    text = "\n".join(c.source for c in nb.cells if nbgrader_meta(c).get("solution"))
    return {word for word in text.replace("(", " ").replace("=", " ").split() if word.isidentifier()}


@pytest.mark.slow
@pytest.mark.parametrize("source", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_untouched_release_fails_only_where_the_student_must_work(source):
    release = release_of(source)
    nb = nbformat.read(release, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(release.parent)}})
    client.execute(env=kernel_env(source.parent.name))

    allowed_missing = _solution_names(source)
    failures = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = nbgrader_meta(cell)
        errors = _errors(cell)
        where = f"cell {index} ({meta.get('grade_id') or cell.get('id')})"
        if meta.get("grade"):
            if not errors:
                failures.append(f"{where}: autograded test passes with the stubs (it cannot fail)")
        for error in errors:
            if error.ename == "NotImplementedError" and (meta.get("solution") or meta.get("grade")):
                continue
            if error.ename == "NameError" and meta.get("grade") and \
                    any(f"'{name}'" in error.evalue for name in allowed_missing):
                continue  # a name the unfinished exercise has not defined yet
            failures.append(f"{where}: {error.ename}: {error.evalue}")
    assert not failures, "\n".join(failures)
