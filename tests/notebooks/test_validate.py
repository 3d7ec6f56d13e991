"""`nbgrader validate` passes on every source notebook (solutions in place, hidden tests included)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .nbtools import ROOT, ids, kernel_env, source_notebooks

NOTEBOOKS = source_notebooks()


@pytest.mark.slow
@pytest.mark.parametrize("source", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_nbgrader_validate_passes(source):
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(source.relative_to(ROOT))],
                          cwd=ROOT, env=kernel_env(source.parent.name), capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Success! Your notebook passes all the tests." in done.stdout, output
