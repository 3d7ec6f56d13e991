"""Run every GPU path of the kit and print ONE JSON summary (``scripts/gpu_check.sh`` calls this).

    python scripts/gpu_check.py [--budget SECONDS] [--fast] [--submissions N]

Each step runs in a child process with its own time limit; a step that fails or overruns is
recorded (``"error"``) and the others go on, so the script can be left to run unattended on a
GPU machine. Steps:

- ``devices``: the GPUs ``nvidia-smi``, TensorFlow and PyTorch see;
- ``torch_fit`` / ``keras_fit``: the reference model of ``course.solutions`` trained with the
  kit's ``fit`` on each device (seconds per epoch, validation accuracy after the reference
  schedule; the fast-mode subset with ``--fast``, the default without a GPU);
- GPU only: ``nb08`` (notebook 08 executed at full size), ``demo_grade`` (``autograder grade`` of
  the demo course with the sandbox and ``--gpus auto``: the device of each submission),
  ``batch`` (N copies of the demo's reference submission, or with ``--batch-assignment A`` of this
  course's assignment A, graded with ``--per-gpu 1`` and with the default K: submissions per
  minute for each). The demo is the default because 16 copies of 07 graded one at a time do not
  fit the 8 minutes: ``--batch-assignment 07_regularization --budget 1800`` with ``COURSE_FAST=1``.

Without a GPU it says so (``"gpu": false``), runs the CPU figures only, and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

DEVICES = """
import json, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
out = {}
try:
    import torch
    out["torch"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
except Exception as exc:
    out["torch_error"] = repr(exc)
try:
    import tensorflow as tf
    out["tensorflow"] = [d.name for d in tf.config.list_physical_devices("GPU")]
except Exception as exc:
    out["tensorflow_error"] = repr(exc)
print(json.dumps(out))
"""

FIT = """
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
framework, fast = sys.argv[1], sys.argv[2] == "1"
from course.datasets import load_fashion_mnist
from course.solutions import train_reference
data = load_fashion_mnist(validation=5000)
start = time.perf_counter()
history = train_reference(framework, data, fast=fast)
seconds = time.perf_counter() - start
epochs = len(history.epoch)
print(json.dumps({"seconds_per_epoch": round(seconds / max(1, epochs), 3), "epochs": epochs,
                  "val_accuracy": round(float(history.history["val_accuracy"][-1]), 4)}))
"""


def run_step(argv: list[str], timeout: float, env: dict[str, str] | None = None, cwd: Path | None = None) -> dict[str, Any]:
    """Run a child; its last stdout line as JSON (or its tail), the seconds it took, or why it failed."""
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=max(1.0, timeout),
                              env={**os.environ, **(env or {})}, cwd=cwd)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    seconds = round(time.perf_counter() - start, 1)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-600:]}", "seconds": seconds}
    lines = done.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except ValueError:
        result = {"output": "\n".join(lines[-5:])}
    if isinstance(result, dict):
        result.setdefault("seconds", seconds)
    return result if isinstance(result, dict) else {"result": result, "seconds": seconds}


class Clock:
    """The budget of the whole check, shared among the steps."""

    def __init__(self, budget: float):
        self.end = time.monotonic() + budget

    def left(self, cap: float) -> float:
        return max(0.0, min(cap, self.end - time.monotonic()))


def fit_figures(framework: str, devices: list[str], fast: bool, clock: Clock) -> dict[str, Any]:
    figures = {}
    for device in devices:
        env = {"CUDA_VISIBLE_DEVICES": ""} if device == "cpu" else {}
        if clock.left(1) <= 0:
            figures[device] = {"error": "no time left in the budget"}
            continue
        figures[device] = run_step([sys.executable, "-c", FIT, framework, "1" if fast else "0"],
                                   clock.left(240), env=env)
    return figures


def grade(course: Path, assignment: str, extra: list[str], timeout: float) -> dict[str, Any]:
    """``autograder grade`` of a course: submissions per minute and the device of each."""
    result = run_step([sys.executable, "-m", "autograder.cli", "grade", assignment, "--course-dir", str(course),
                       "--no-progress", "--no-report", "--force", *extra], timeout)
    results = sorted((course / "results" / assignment).glob("*.json"))
    devices = {}
    for path in results:
        with open(path) as fh:
            data = json.load(fh)
        devices[path.stem] = {"device": data.get("device"), "status": data.get("status")}
    summary: dict[str, Any] = {"devices": devices}
    if "error" in result:
        summary["error"] = result["error"]
    seconds = result.get("seconds")
    if seconds and devices:
        summary.update(seconds=seconds, per_minute=round(60 * len(devices) / seconds, 2))
    return summary


def course_of(assignment: str, out: Path, copies: int) -> Path:
    """A course with this repository's ``assignment`` released and ``copies`` copies of its reference
    submission (the source notebook's solutions in the release notebook)."""
    import nbformat

    from autograder.demo import fill, reference_answers

    out.mkdir(parents=True)
    for name in ("nbgrader_config.py", "thresholds.toml"):
        shutil.copy(ROOT / name, out / name)
    shutil.copytree(ROOT / "source" / assignment, out / "source" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.keras", "*.pt", "figures"))
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "release", assignment, "--course-dir", str(out)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"autograder release {assignment} failed: {(done.stderr or done.stdout)[-400:]}")
    [source] = sorted((out / "source" / assignment).glob("*.ipynb"))
    submitted = fill(nbformat.read(out / "release" / assignment / source.name, as_version=4),
                     reference_answers(nbformat.read(source, as_version=4)))
    for i in range(copies):
        folder = out / "submitted" / f"copy{i:02d}" / assignment
        folder.mkdir(parents=True)
        nbformat.write(submitted, folder / source.name)
    return out


def gpu_steps(clock: Clock, submissions: int, batch_assignment: str | None = None) -> dict[str, Any]:
    steps: dict[str, Any] = {}
    notebooks = sorted((ROOT / "source" / "08_gpu").glob("*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        work = Path(tmp)
        if notebooks:
            env = {k: v for k, v in os.environ.items() if k != "COURSE_FAST"}
            start = time.perf_counter()
            try:
                done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                                       "--output-dir", str(work / "nb08"), *map(str, notebooks)],
                                      capture_output=True, text=True, timeout=max(1.0, clock.left(180)), env=env)
                steps["nb08"] = {"seconds": round(time.perf_counter() - start, 1), "exit": done.returncode}
                if done.returncode:
                    steps["nb08"]["error"] = done.stderr.strip()[-600:]
            except subprocess.TimeoutExpired:
                steps["nb08"] = {"error": "timed out"}
        else:
            steps["nb08"] = {"error": "no notebook in source/08_gpu"}
        try:
            from autograder.course import Course
            from autograder.demo import ASSIGNMENT, build_course

            demo = build_course(work / "demo")
            steps["demo_grade"] = grade(demo, ASSIGNMENT, ["--gpus", "auto", "--sandbox", "auto"], clock.left(150))
            if batch_assignment:
                batch, assignment = course_of(batch_assignment, work / "batch", submissions), batch_assignment
            else:
                reference = Course(demo).path("submitted", "reference", ASSIGNMENT)
                batch, assignment = work / "batch", ASSIGNMENT
                build_course(batch)
                shutil.rmtree(batch / "submitted")
                for i in range(submissions):
                    shutil.copytree(reference, batch / "submitted" / f"copy{i:02d}" / ASSIGNMENT)
            share = max(150.0, clock.left(10**6) / 2)
            steps["batch"] = {
                "assignment": assignment, "submissions": submissions,
                "per_gpu_1": grade(batch, assignment, ["--gpus", "auto", "--per-gpu", "1"], clock.left(share)),
                "per_gpu_default": grade(batch, assignment, ["--gpus", "auto"], clock.left(share)),
            }
        except Exception as exc:  # recorded, never a crash: the summary is still printed
            steps.setdefault("demo_grade", {"error": repr(exc)})
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=480, help="seconds for the whole check (default 480)")
    parser.add_argument("--fast", action="store_true", help="the fast-mode subset for the fit figures "
                                                            "(always without a GPU)")
    parser.add_argument("--submissions", type=int, default=16, help="copies graded by the batch step (default 16)")
    parser.add_argument("--batch-assignment", help="grade copies of this course assignment's reference submission "
                                                   "(e.g. 07_regularization; COURSE_FAST applies if set) instead of "
                                                   "the demo's, which fits the default budget")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from autograder.devices import detect_gpu_memory, detect_gpus

    clock = Clock(args.budget)
    smi = detect_gpus()
    seen = run_step([sys.executable, "-c", DEVICES], clock.left(120))
    gpu = bool(smi) and bool(seen.get("torch") or seen.get("tensorflow"))
    summary: dict[str, Any] = {"gpu": gpu, "devices": {"nvidia_smi": [f"{i}: {name}" for i, name in smi],
                                                      "memory_mib": detect_gpu_memory(), **seen}}
    if not gpu:
        summary["note"] = "no GPU seen: CPU figures only (fast-mode subset)"
    fast = args.fast or not gpu
    devices = ["cuda", "cpu"] if gpu else ["cpu"]
    summary["fast"] = fast
    summary["torch_fit"] = fit_figures("torch", devices, fast, clock)
    summary["keras_fit"] = fit_figures("keras", devices, fast, clock)
    if gpu:
        summary.update(gpu_steps(clock, args.submissions, args.batch_assignment))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
