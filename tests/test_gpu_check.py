"""``scripts/gpu_check.sh`` on a machine without a GPU (as CI): one JSON line, ``gpu`` false, exit 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_check_without_a_gpu_says_so_and_exits_cleanly_with_the_cpu_figures():
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "COURSE_FAST": "1", "PYTHON": sys.executable,
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run([str(ROOT / "scripts" / "gpu_check.sh"), "--budget", "240"], capture_output=True,
                          text=True, timeout=400, env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    summary = json.loads(lines[0])
    assert summary["gpu"] is False and summary["fast"] is True
    assert summary["devices"]["torch"] == [] and summary["devices"]["tensorflow"] == []
    for step in ("torch_fit", "keras_fit"):
        assert list(summary[step]) == ["cpu"]  # no GPU figure, no GPU step
        assert summary[step]["cpu"]["seconds_per_epoch"] > 0, summary[step]
        assert 0 < summary[step]["cpu"]["val_accuracy"] <= 1
    assert not {"nb08", "demo_grade", "batch"} & set(summary)


@pytest.mark.slow
def test_the_batch_course_holds_copies_of_the_assignments_reference_submission(tmp_path, monkeypatch):
    import importlib.util

    import nbformat

    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
    assert spec is not None and spec.loader is not None
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    course = gpu_check.course_of("07_regularization", tmp_path / "batch", 2)
    copies = sorted((course / "submitted").iterdir())
    assert [c.name for c in copies] == ["copy00", "copy01"]
    nb = nbformat.read(copies[0] / "07_regularization" / "07_regularization.ipynb", as_version=4)
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "NotImplementedError" not in sources and "modelo_final = keras.Sequential" in sources
    assert "BEGIN HIDDEN TESTS" not in sources and (course / "thresholds.toml").exists()
