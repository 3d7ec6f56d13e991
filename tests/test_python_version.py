"""The code runs on the oldest Python that ``pyproject.toml`` promises (``requires-python``)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_no_feature_newer_than_requires_python():
    vermin = shutil.which("vermin") or shutil.which("vermin", path=sysconfig.get_path("scripts"))
    if vermin is None:
        pytest.skip("vermin is not installed: pip install -e '.[test]'")
    text = (ROOT / "pyproject.toml").read_text()
    oldest = re.search(r'requires-python\s*=\s*">=(\d+\.\d+)"', text).group(1)
    # `long` is a false positive of vermin's (a local name in course/torch/training.py).
    done = subprocess.run([vermin, f"-t={oldest}-", "--no-tips", "--violations", "--eval-annotations",
                           "--exclude", "long", "course", "autograder", "scripts", "benchmarks"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
