"""Prints seconds per submission: plain `nbgrader autograde` against `autograder grade` with 1 and 2 workers,
with the sandbox (bubblewrap, where it runs) and without.

Then the threshold evaluator alone (``thresholds.evaluate`` on one Keras model, the grader's
5000 validation images), in the sandbox and without, and the preflight that starts each batch.

All three grade the same submissions of nbgrader's own quickstart course (`nbgrader quickstart`):
half of them the solution, half the untouched release, two notebooks each. Every run starts
from a fresh copy of the course and includes its process start-up.

    python benchmarks/grading.py [--submissions 6]
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

from autograder.sandbox import probe


def build_course(base: Path, submissions: int) -> Path:
    subprocess.run(["nbgrader", "quickstart", "course101"], cwd=base, check=True, capture_output=True)
    root = base / "course101"
    subprocess.run([sys.executable, "-m", "autograder.cli", "release", "ps1", "--course-dir", str(root)], check=True,
                   capture_output=True)
    for i in range(submissions):
        kind = "source" if i % 2 == 0 else "release"
        shutil.copytree(root / kind / "ps1", root / "submitted" / f"student{i:02d}" / "ps1")
    return root


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=False, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = build_course(Path(tmp), args.submissions)
        ours = [sys.executable, "-m", "autograder.cli", "grade", "ps1", "--no-progress", "--workers"]
        # Like for like first (nbgrader autograde writes no feedback), then ours with its feedback HTML.
        runs = [("nbgrader autograde", 1, False, "none", ["nbgrader", "autograde", "ps1"]),
                ("autograder grade", 1, False, "none", ours + ["1", "--no-feedback", "--sandbox", "none"]),
                ("autograder grade", 1, False, "auto", ours + ["1", "--no-feedback", "--sandbox", "auto"]),
                ("autograder grade", 2, False, "auto", ours + ["2", "--no-feedback", "--sandbox", "auto"]),
                ("autograder grade", 2, True, "auto", ours + ["2"])]
        for name, workers, feedback, sandbox, cmd in runs:
            copy = Path(tmp) / f"run-{len(os.listdir(tmp))}"
            shutil.copytree(course, copy)
            seconds = timed(cmd, copy)
            print(json.dumps({"benchmark": "grading", "grader": name, "workers": workers, "feedback": feedback,
                              "sandbox": "bwrap" if sandbox == "auto" and probe() is None else "none",
                              "submissions": args.submissions, "notebooks_each": 2, "cpus": os.cpu_count(),
                              "seconds": round(seconds, 2),
                              "seconds_per_submission": round(seconds / args.submissions, 2)}), flush=True)


def evaluator(repeats: int = 3) -> None:
    """Seconds per threshold check, sandboxed or not, and the preflight's seconds."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    from autograder import preflight, thresholds
    from autograder.sandbox import Sandbox, data_dirs

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")]).save(work / "modelo.keras")
        check = thresholds.Check(name="m", model="modelo.keras", full=0.9, zero=0.5, points=1, validation=5000)
        sandboxed = Sandbox(mode="bwrap", data=data_dirs(dict(os.environ))) if probe() is None else None
        for label, sandbox in (("none", None), ("bwrap", sandboxed)):
            if label == "bwrap" and sandbox is None:
                continue
            seconds = []
            for i in range(repeats):
                start = time.perf_counter()
                result = thresholds.evaluate(check, work, Path(tmp) / f"{label}{i}", sandbox=sandbox, timeout=300)
                seconds.append(time.perf_counter() - start)
                assert "value" in result, result
            print(json.dumps({"benchmark": "threshold_evaluator", "sandbox": label, "repeats": repeats,
                              "seconds_median": round(sorted(seconds)[repeats // 2], 2)}), flush=True)
            start = time.perf_counter()
            preflight.run(Path(tmp), [check], sandbox, dict(os.environ))
            print(json.dumps({"benchmark": "preflight", "sandbox": label, "frameworks": ["keras"],
                              "seconds": round(time.perf_counter() - start, 2)}), flush=True)


if __name__ == "__main__":
    main()
    evaluator()
