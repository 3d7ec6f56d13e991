"""A GPU shared by submissions: the cap hook in the kernel (against fake frameworks) and GPU OOM as ``memory``."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_notebook

from autograder.devices import MEMORY_ENV
from autograder.gpu_share import cap_code, gpu_out_of_memory
from autograder.seeding import seed_code

from .conftest import nbgrader_cell

# Fake frameworks that record, in CALLS, what the kernel's hooks did to them.
FAKE_TF = '''
import builtins
CALLS = builtins.CALLS
class config:
    class LogicalDeviceConfiguration:
        def __init__(self, memory_limit=None):
            self.memory_limit = memory_limit
    @staticmethod
    def list_physical_devices(kind):
        return ["GPU:0"] if kind == "GPU" else []
    @staticmethod
    def set_logical_device_configuration(device, configs):
        CALLS.append(["tf.limit", device, [c.memory_limit for c in configs]])
class random:
    @staticmethod
    def set_seed(seed):
        CALLS.append(["tf.seed", seed])
'''
FAKE_TORCH = '''
import builtins
CALLS = builtins.CALLS
def manual_seed(seed):
    CALLS.append(["torch.seed", seed])
class cuda:
    queued = []
    @staticmethod
    def is_available():
        return True
    @staticmethod
    def _lazy_call(fn, **kwargs):
        cuda.queued.append(fn)
    @staticmethod
    def device_count():
        return 1
    @staticmethod
    def get_device_properties(index):
        class Props:
            total_memory = 8192 * 2**20
        return Props
    @staticmethod
    def set_per_process_memory_fraction(fraction, index):
        CALLS.append(["torch.fraction", fraction, index])
    @staticmethod
    def manual_seed_all(seed):
        CALLS.append(["torch.seed_all", seed])
'''


def run_kernel_code(tmp_path: Path, student: str, env: dict[str, str]) -> list:
    """Run the kernel's start-up code, then ``student``, with the fake frameworks; the calls recorded."""
    (tmp_path / "tensorflow.py").write_text(FAKE_TF)
    (tmp_path / "torch.py").write_text(FAKE_TORCH)
    program = (f"import builtins, json, sys\nbuiltins.CALLS = []\nsys.path.insert(0, {str(tmp_path)!r})\n"
               + cap_code() + seed_code(7) + textwrap.dedent(student) + "\nprint(json.dumps(builtins.CALLS))\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", **env}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_cap_reaches_each_framework_when_imported_before_its_seed(tmp_path):
    calls = run_kernel_code(tmp_path, """
        import sys
        assert "tensorflow" not in sys.modules and "torch" not in sys.modules  # nothing imported for the student
        import tensorflow
        import torch
        assert torch.cuda.queued, "the PyTorch cap waits for CUDA's start"
        CALLS.append(["torch.cuda starts"])
        for fn in torch.cuda.queued:
            fn()
    """.replace("CALLS.append", "builtins.CALLS.append"), {MEMORY_ENV: "2048"})
    assert calls[:2] == [["tf.limit", "GPU:0", [2048]], ["tf.seed", 7]]  # the cap before anything else
    assert ["torch.seed", 7] in calls
    assert calls.index(["torch.cuda starts"]) < calls.index(["torch.fraction", 0.25, 0])


def test_without_a_cap_the_frameworks_are_only_seeded(tmp_path):
    calls = run_kernel_code(tmp_path, """
        import tensorflow, torch
        for fn in torch.cuda.queued:
            fn()
    """, {})
    assert not [c for c in calls if c[0] in ("tf.limit", "torch.fraction")]
    assert ["tf.seed", 7] in calls and ["torch.seed", 7] in calls


@pytest.mark.parametrize(("ename", "evalue", "oom"), [
    ("OutOfMemoryError", "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79 GiB", True),
    ("RuntimeError", "CUDA out of memory. Tried to allocate 20.00 MiB", True),
    ("ResourceExhaustedError", "OOM when allocating tensor with shape[4096,4096] on /job:localhost/replica:0/task:0/"
                               "device:GPU:0 by allocator GPU_0_bfc", True),
    ("InternalError", "Failed copying input tensor: CUDA_ERROR_OUT_OF_MEMORY: out of memory", True),
    ("MemoryError", "", False),  # the CPU's: the watchdog's business
    ("ValueError", "shapes (3,) and (4,) not aligned", False),
])
def test_gpu_out_of_memory_errors_are_recognised(ename, evalue, oom):
    assert gpu_out_of_memory({"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}) is oom
    assert not gpu_out_of_memory({"output_type": "stream", "name": "stderr", "text": evalue})


@pytest.mark.slow
def test_a_cell_out_of_gpu_memory_ends_the_notebook_as_memory(tmp_path, monkeypatch):
    """On a (pretended) shared GPU: the kernel runs the cap hook; a CUDA OOM stops the notebook as
    ``memory``, with the cap in the Spanish detail; the cells before it count."""
    from autograder.course import Course
    from autograder.worker import Job, grade

    root = tmp_path / "course"
    (root / "source" / "mini").mkdir(parents=True)
    nb = new_notebook(cells=[
        nbgrader_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", grade_id="answer", solution=True),
        nbgrader_cell("import sys\nassert any(type(f).__name__ == 'CapOnImport' for f in sys.meta_path)",
              grade_id="test_hook", grade=True, locked=True, points=1),
        nbgrader_cell("assert x == 1", grade_id="test_after", grade=True, locked=True, points=1),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, root / "source" / "mini" / "mini.ipynb")
    course = Course(root)
    released = nbformat.read(course.release("mini") / "mini.ipynb", as_version=4)
    released.cells[0].source = ("class OutOfMemoryError(RuntimeError):\n    pass\n"
                                "raise OutOfMemoryError('CUDA out of memory. Tried to allocate 2.00 GiB')")
    released.cells.insert(2, released.cells.pop(0))  # the OOM after the hook's test, before the last one
    folder = root / "submitted" / "ana" / "mini"
    folder.mkdir(parents=True)
    nbformat.write(released, folder / "mini.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv(MEMORY_ENV, "2048")  # the worker puts the slot's environment in its own
    job = Job(course_root=str(root), course_id=course.course_id, assignment="mini", student="ana",
              submission_dir=str(folder), source_dir=str(course.source_dir("mini")), notebooks=["mini"],
              db_url=course.db_url, out_dir=str(out), timeout=120, cell_timeout=60, device="gpu:0",
              env={MEMORY_ENV: "2048", "CUDA_VISIBLE_DEVICES": "0"})
    result = grade(job)
    assert result.status == "memory", result
    assert result.detail == "2.0 GiB de memoria de GPU"
    points = {item.name: item.points for nb in result.notebooks for item in nb.items}
    assert points["test_hook"] == 1 and points["test_after"] == 0


def test_the_sandbox_passes_the_cap_to_the_kernel():
    from autograder.sandbox import sandbox_env

    env = sandbox_env({MEMORY_ENV: "2048", "TF_FORCE_GPU_ALLOW_GROWTH": "true", "CUDA_VISIBLE_DEVICES": "1",
                       "AWS_SECRET_ACCESS_KEY": "x"})
    assert env[MEMORY_ENV] == "2048" and env["TF_FORCE_GPU_ALLOW_GROWTH"] == "true" and env["CUDA_VISIBLE_DEVICES"] == "1"
    assert "AWS_SECRET_ACCESS_KEY" not in env
