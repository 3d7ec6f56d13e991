"""Prints grading throughput with the local and the Ray backend, and Ray's overhead per submission.

The course is `autograder demo`'s (a Keras MLP trained on Fashion-MNIST, a threshold check on
it), with 8 submissions: the demo's sample answers `reference`, `partial`, `blank` and `crash`
cycled (`hang` is left out: it would time the time limit, not the grader). Each backend grades
a fresh copy with 2 workers, in its own `autograder grade` process, start-up included (for Ray,
starting a local Ray instance with 2 CPUs). Then, apart: how long that Ray start and shutdown
take, and how long a trivial task with the same resources waits from submission to start.

    python benchmarks/grading_backends.py [--submissions 8] [--workers 2]
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

ANSWERS = ("reference", "partial", "blank", "crash")

RAY_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from autograder.ray_backend import RayBackend
backend = RayBackend(workers={workers})
t1 = time.perf_counter()
import ray

@ray.remote(max_retries=0)
def started():
    return time.time()

waits, trips = [], []
for _ in range({submissions} // len(backend.slots)):
    sent = time.time()
    refs = [started.options(**backend.options).remote() for _ in backend.slots]
    for begun in ray.get(refs):
        waits.append(begun - sent)
    trips.append(time.time() - sent)
t2 = time.perf_counter()
backend.close()
t3 = time.perf_counter()
print(json.dumps({{"start_s": t1 - t0, "shutdown_s": t3 - t2, "submit_to_start_s": sorted(waits)[len(waits) // 2],
                  "round_trip_s": sorted(trips)[len(trips) // 2]}}))
"""


def build_course(base: Path, submissions: int) -> Path:
    from autograder.demo import ASSIGNMENT
    from autograder.demo import build_course as build_demo

    root = build_demo(base / "course")
    submitted = root / "submitted"
    for i in range(submissions):
        answer = ANSWERS[i % len(ANSWERS)]
        shutil.copytree(submitted / answer / ASSIGNMENT, submitted / f"alumno{i:02d}-{answer}" / ASSIGNMENT)
    for sample in ("reference", "partial", "blank", "crash", "hang"):
        shutil.rmtree(submitted / sample)
    return root


def grade(course: Path, backend: str, workers: int) -> tuple[float, dict[str, tuple[str, float]]]:
    from autograder.demo import ASSIGNMENT

    cmd = [sys.executable, "-m", "autograder.cli", "grade", ASSIGNMENT, "--course-dir", str(course), "--workers",
           str(workers), "--timeout", "240", "--cell-timeout", "90", "--no-progress", "--backend", backend]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{backend} failed:\n{done.stdout}\n{done.stderr}")
    results = {}
    for path in (course / "results" / ASSIGNMENT).glob("*.json"):
        data = json.loads(path.read_text())
        results[path.stem] = (data["status"], data["score"])
    return seconds, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    n = args.submissions
    with tempfile.TemporaryDirectory() as tmp:
        course = build_course(Path(tmp), n)
        totals, graded = {}, {}
        for backend in ("local", "ray"):
            copy = Path(tmp) / backend
            shutil.copytree(course, copy, symlinks=True)
            totals[backend], graded[backend] = grade(copy, backend, args.workers)
            print(json.dumps({"benchmark": "grading_backends", "backend": backend, "workers": args.workers,
                              "submissions": n, "cpus": os.cpu_count(), "seconds": round(totals[backend], 2),
                              "submissions_per_minute": round(60 * n / totals[backend], 2)}), flush=True)
    probe = subprocess.run([sys.executable, "-c", RAY_PROBE.format(workers=args.workers, submissions=n)],
                           capture_output=True, text=True, check=True)
    ray = json.loads(probe.stdout.strip().splitlines()[-1])
    overhead = (totals["ray"] - totals["local"]) / n
    print(json.dumps({"benchmark": "grading_backends", "ray_overhead_per_submission_s": round(overhead, 2),
                      "ray_start_s": round(ray["start_s"], 2), "ray_shutdown_s": round(ray["shutdown_s"], 2),
                      "ray_overhead_per_submission_without_start_s":
                          round(overhead - (ray["start_s"] + ray["shutdown_s"]) / n, 2),
                      "task_submit_to_start_s": round(ray["submit_to_start_s"], 4),
                      "task_round_trip_s": round(ray["round_trip_s"], 4),
                      "same_statuses_and_scores": graded["local"] == graded["ray"]}), flush=True)
    for student in sorted(s for s in graded["local"] if graded["local"][s] != graded["ray"].get(s)):
        print(json.dumps({"differs": student, "local": graded["local"][student], "ray": graded["ray"].get(student)}))


if __name__ == "__main__":
    main()
