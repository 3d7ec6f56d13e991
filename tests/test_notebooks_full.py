"""benchmarks/notebooks_full.py on a two-claim notebook: one JSON record with every claim, and the run
goes on past a claim that does not hold."""

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("_notebooks_full", ROOT / "benchmarks" / "notebooks_full.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_one_record_with_every_claim(tmp_path):
    folder = tmp_path / "99_claims"
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('import course\ncourse.claim("holds", {"x": 1.5}, True)'),
        nbformat.v4.new_code_cell('course.claim("fails", {"x": 0.2}, False, says="x pasa de 0.5")'),
        nbformat.v4.new_code_cell('course.claim("after", {"fast": course.fast_mode()}, not course.fast_mode())'),
    ])
    path = folder / "99_claims.ipynb"
    nbformat.write(nb, path)

    result = load_benchmark().run(path, fast=False, timeout=120)

    assert result["notebook"] == "99_claims" and result["seconds"] > 0
    assert [(c["name"], c["held"]) for c in result["claims"]] == [("holds", True), ("fails", False), ("after", True)]
    assert result["claims"][0]["values"] == {"x": 1.5}
    assert result["ok"] is False and result["errors"] == 1
    assert result["error"].startswith("cell 1: ClaimFailed") and "x pasa de 0.5" in result["error"]
