"""The root conftest's scheduler: a notebook's cells run in order, in one kernel, on one worker.

The end-to-end test runs a small project with the repository's ``conftest.py`` under
``pytest -n 2``: two notebooks whose cells count in one kernel and log the worker they ran on,
and two files under ``tests/autograder`` that must share a worker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _scope_of():
    import importlib.util

    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.scope_of


def test_scope_of_groups_files_and_the_autograder_folder():
    scope_of = _scope_of()
    assert scope_of("source/04_activations/04_activations.ipynb::Cell 7") == "source/04_activations/04_activations.ipynb"
    assert scope_of("tests/test_models.py::test_fit[keras]") == "tests/test_models.py"
    assert scope_of("tests/test_models.py::TestX::test_y") == "tests/test_models.py"
    assert scope_of("tests/autograder/test_runner.py::test_a") == scope_of("tests/autograder/test_demo.py::test_b")


def _notebook(path: Path, name: str, log: Path, cells: int) -> None:
    first = f"import os\nn = 0\nopen({str(log)!r}, 'a').write(f\"{name} {{n}} {{os.environ['PYTEST_XDIST_WORKER']}}\\n\")"
    rest = f"n += 1\nopen({str(log)!r}, 'a').write(f\"{name} {{n}} {{os.environ['PYTEST_XDIST_WORKER']}}\\n\")"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(first)]
                                  + [nbformat.v4.new_code_cell(rest) for _ in range(cells - 1)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.mark.slow
def test_notebook_cells_stay_on_one_worker_in_order(tmp_path):
    pytest.importorskip("xdist")
    pytest.importorskip("nbval")
    log = tmp_path / "log.txt"
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --nbval-lax --nbval-current-env -p no:cacheprovider\n")
    (tmp_path / "source").mkdir()
    for name in ("alpha", "beta", "gamma"):
        _notebook(tmp_path / "source" / f"{name}.ipynb", name, log, cells=6)
    shared = tmp_path / "tests" / "autograder"
    shared.mkdir(parents=True)
    for name in ("one", "two"):
        (shared / f"test_{name}.py").write_text(
            "import os\n\n"
            + "".join(f"def test_{i}():\n    open({str(log)!r}, 'a').write('autograder {name}{i} ' + "
                      f"os.environ['PYTEST_XDIST_WORKER'] + '\\n')\n\n\n" for i in range(4)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k != "COURSE_SCHEDULE_LOG"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-q", "source", "tests"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    workers: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, list[int]] = defaultdict(list)
    for line in log.read_text().splitlines():
        name, step, worker = line.split()
        workers[name].add(worker)
        if name != "autograder":
            counts[name].append(int(step))
    assert set(workers) == {"alpha", "beta", "gamma", "autograder"}
    for name, seen in workers.items():
        assert len(seen) == 1, f"{name} ran on {sorted(seen)}"
    for name, steps in counts.items():  # one kernel, cells in order: the counter goes 0..5
        assert steps == list(range(6)), f"{name}: {steps}"
    assert len(set().union(*workers.values())) == 2  # the work was shared, not all on one worker


def _check_schedule():
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_schedule", ROOT / "scripts" / "check_schedule.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check


def test_the_schedule_check_finds_a_split_or_reordered_notebook():
    check = _check_schedule()
    good = ["gw0 source/a.ipynb::Cell 0", "gw1 tests/test_x.py::test_y", "gw0 source/a.ipynb::Cell 1",
            "gw1 source/b.ipynb::Cell 0"]
    assert check(good) == ({"gw0": ["a"], "gw1": ["b"]}, [])
    split = good + ["gw1 source/a.ipynb::Cell 2"]
    assert check(split)[1] == ["source/a.ipynb ran on ['gw0', 'gw1']"]
    reordered = ["gw0 source/a.ipynb::Cell 1", "gw0 source/a.ipynb::Cell 0"]
    assert check(reordered)[1] == ["source/a.ipynb: cells out of order"]


@pytest.mark.slow
def test_the_conftest_logs_the_schedule_it_ran(tmp_path):
    pytest.importorskip("xdist")
    pytest.importorskip("nbval")
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --nbval-lax --nbval-current-env -p no:cacheprovider\n")
    for name in ("one", "two"):
        _notebook(tmp_path / f"{name}.ipynb", name, tmp_path / "cells.txt", cells=4)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["COURSE_SCHEDULE_LOG"] = str(tmp_path / "schedule.txt")
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-q", "."], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    by_worker, problems = _check_schedule()((tmp_path / "schedule.txt").read_text().splitlines())
    assert problems == [] and sorted(n for names in by_worker.values() for n in names) == ["one", "two"]
