"""Every source notebook opens with the standard cells from course.meta, and is stored clean."""

from __future__ import annotations

import nbformat
import pytest

from course import meta

from .nbtools import ROOT, ids, load_script, source_notebooks

NOTEBOOKS = source_notebooks()
sync_notebooks = load_script("sync_notebooks")


@pytest.mark.parametrize("source", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_source_notebook_is_in_sync(source):
    assert sync_notebooks.sync(source, check=True), \
        f"{source.relative_to(ROOT)} is out of sync: run `python scripts/sync_notebooks.py`"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_badge_points_at_the_release_notebook(source):
    title = nbformat.read(source, as_version=4).cells[0].source
    target = f"release/{source.parent.name}/{source.name}"
    assert meta.colab_url(target) in title
    assert (ROOT / target).exists(), f"{target} does not exist: run `python scripts/release.py`"


def _notebook(cells, **metadata):
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata.update(metadata)
    return nb


def test_sync_stamps_header_and_strips_outputs(tmp_path):
    path = tmp_path / "05_demo" / "05_demo.ipynb"
    path.parent.mkdir()
    body = nbformat.v4.new_code_cell("print(1)", id="body")
    body.outputs = [nbformat.v4.new_output("stream", text="1\n")]
    body.execution_count = 3
    nbformat.write(_notebook([body], course={"title": "05 · Demo", "extras": ["torch"]}), path)

    assert not sync_notebooks.sync(path, check=True)  # check mode reports, changes nothing
    assert nbformat.read(path, as_version=4).cells[0].id == "body"
    assert not sync_notebooks.sync(path)
    nb = nbformat.read(path, as_version=4)
    assert [c.id for c in nb.cells] == ["course-title", "course-setup", "body"]
    assert "# 05 · Demo" in nb.cells[0].source
    assert meta.colab_url("release/05_demo/05_demo.ipynb") in nb.cells[0].source
    assert nb.cells[1].source == meta.setup_cell(["torch"])
    assert nb.cells[2].outputs == [] and nb.cells[2].execution_count is None
    assert sync_notebooks.sync(path, check=True)  # idempotent

    # a changed title replaces the header instead of adding a second one
    nb.metadata["course"]["title"] = "05 · Otra"
    nbformat.write(nb, path)
    sync_notebooks.sync(path)
    nb = nbformat.read(path, as_version=4)
    assert [c.id for c in nb.cells] == ["course-title", "course-setup", "body"]
    assert "# 05 · Otra" in nb.cells[0].source


def test_sync_cli_check_and_declare(tmp_path, capsys):
    path = tmp_path / "06_x" / "06_x.ipynb"
    assert sync_notebooks.main([str(path), "--title", "06 · X", "--extras", "keras"]) == 0
    assert sync_notebooks.main([str(path), "--check"]) == 0
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["course"] == {"title": "06 · X", "extras": ["keras"]}
    assert 'frameworks=["tensorflow"]' in nb.cells[1].source

    nb.cells.append(nbformat.v4.new_code_cell("x = 1", execution_count=1))
    nbformat.write(nb, path)
    assert sync_notebooks.main([str(path), "--check"]) == 1
    assert "out of sync" in capsys.readouterr().out


def test_notebook_without_title_is_an_error(tmp_path):
    path = tmp_path / "07_y" / "07_y.ipynb"
    path.parent.mkdir()
    nbformat.write(_notebook([]), path)
    assert sync_notebooks.main([str(path)]) == 2
