"""``--backend ray`` against the local backend, on a real Ray instance with 2 CPUs.

One session fixture grades a small course (no data sets, short time limits) four times: with
the local backend; with Ray, connecting to a Ray instance a helper process started (2 CPUs);
with Ray again while one student's Ray worker dies for real (test hook of
``autograder.ray_backend``); and once more with no ``--address``, so the grader starts and
stops a local Ray of its own, which grades the submission that failed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from autograder.course import Course
from autograder.ray_backend import TEST_KILL_ENV

from .conftest import answer_and_tests, autograder, child_env, gradebook_rows, results_of

if not os.environ.get("CI"):  # in CI the Ray extra is installed: its absence fails the build
    pytest.importorskip("ray")

pytestmark = pytest.mark.slow

ASSIGNMENT = "mini"
ANSWERS = {
    "reference": "import course  # the course package is importable, as locally\nx = 1",
    "partial": "x = 2",
    "blank": None,  # the release untouched
    "crash": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
    "hang": "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.5)",
}
DIES = "partial"  # its Ray worker dies in the third run
LIMITS = ["--workers", "2", "--timeout", "15", "--cell-timeout", "60", "--no-progress"]
# A Ray instance for the batches to join: it prints its address and lives until stdin closes.
RAY_HOLDER = """
import logging, sys, ray
ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()
ray.shutdown()
"""


def build_course(root: Path) -> Path:
    """A released one-notebook assignment with a submission per entry of ``ANSWERS``."""
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nb = answer_and_tests(test_exact="assert x == 1", test_positive="assert x > 0")
    nbformat.write(nb, root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (root / "source" / ASSIGNMENT / "datos.txt").write_text("del profesor\n")  # a source file the worker copies
    released = nbformat.read(Course(root).release(ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)
    for student, answer in ANSWERS.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nb = nbformat.from_dict(released)
        if answer is not None:
            nb.cells[0].source = answer
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    os.symlink("/etc/hostname", root / "submitted" / "reference" / ASSIGNMENT / "enlace")  # skipped, and said so
    return root


def _copy(base: Path, name: str) -> Path:
    dest = base / name
    shutil.copytree(base / "course", dest, symlinks=True)
    return dest


@pytest.fixture(scope="session")
def ray_runs(tmp_path_factory, session_cache):
    base = tmp_path_factory.mktemp("ray-backend")
    build_course(base / "course")
    env = child_env(session_cache)
    holder = subprocess.Popen([sys.executable, "-c", RAY_HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
    try:
        local_root = _copy(base, "local")
        local = autograder("grade", ASSIGNMENT, "--course-dir", str(local_root), *LIMITS, env=env, timeout=600)
        address = holder.stdout.readline().strip()
        assert address, "the Ray instance did not start"
        # The instance holds a token; clients send it (Ray 2.5x enables token auth on local instances).
        ray_env = {**env, "RAY_AUTH_MODE": "token"}
        joined = ["--backend", "ray", "--address", address]
        ray_root = _copy(base, "ray")
        ray = autograder("grade", ASSIGNMENT, "--course-dir", str(ray_root), *LIMITS, *joined, env=ray_env, timeout=600)
        dies_root = _copy(base, "dies")
        picked = ["--student", "reference", "--student", DIES]
        dies = autograder("grade", ASSIGNMENT, "--course-dir", str(dies_root), *LIMITS, *picked, *joined,
                          env={**ray_env, TEST_KILL_ENV: DIES}, timeout=600)
        after_death = results_of(dies_root, ASSIGNMENT)
        rows_after_death = gradebook_rows(dies_root, ASSIGNMENT, "default_course")
    finally:
        holder.stdin.close()
        try:
            holder.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(holder.pid, 9)
            holder.wait()
    again = autograder("grade", ASSIGNMENT, "--course-dir", str(dies_root), *LIMITS, *picked, "--backend", "ray",
                       env=env, timeout=600)
    return SimpleNamespace(local=local, ray=ray, dies=dies, again=again,
                           local_root=local_root, ray_root=ray_root, dies_root=dies_root, after_death=after_death,
                           rows_after_death=rows_after_death)


def comparable(result: dict) -> dict:
    """A result without what differs between runs: when, how long, where."""
    skip = {"runtime_s", "execution_time", "graded_at", "device", "peak_memory_mb"}
    return {k: v for k, v in result.items() if k not in skip}


def test_ray_grades_exactly_like_the_local_backend(ray_runs):
    assert ray_runs.local.returncode == 0, ray_runs.local.stdout + ray_runs.local.stderr
    assert ray_runs.ray.returncode == 0, ray_runs.ray.stdout + ray_runs.ray.stderr
    local, ray = results_of(ray_runs.local_root, ASSIGNMENT), results_of(ray_runs.ray_root, ASSIGNMENT)
    assert set(ray) == set(local) == set(ANSWERS)
    assert {s: r["status"] for s, r in ray.items()} == {"reference": "ok", "partial": "ok", "blank": "ok",
                                                        "crash": "crashed", "hang": "timeout"}
    assert {s: r["score"] for s, r in ray.items()} == {s: r["score"] for s, r in local.items()}
    assert ray["reference"]["score"] == 2 and ray["partial"]["score"] == 1
    for student in ANSWERS:
        assert comparable(ray[student]) == comparable(local[student]), student
    assert gradebook_rows(ray_runs.ray_root, ASSIGNMENT, "default_course") == \
        gradebook_rows(ray_runs.local_root, ASSIGNMENT, "default_course")


def test_ray_results_say_where_they_ran_and_the_course_gets_its_files(ray_runs):
    ray = results_of(ray_runs.ray_root, ASSIGNMENT)
    assert all(r["device"].startswith("cpu@") for r in ray.values())
    assert "ray-cpu:0" in ray_runs.ray.stdout
    for student in ("reference", "partial"):
        autograded = ray_runs.ray_root / "autograded" / student / ASSIGNMENT
        assert (autograded / f"{ASSIGNMENT}.ipynb").is_file() and (autograded / "datos.txt").is_file()
        assert (ray_runs.ray_root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    assert not (ray_runs.ray_root / "autograded" / "reference" / ASSIGNMENT / "enlace").exists()
    assert not (ray_runs.ray_root / ".autograder-tmp").exists()


def test_a_hanging_submission_times_out_with_zero_and_the_others_are_graded(ray_runs):
    ray = results_of(ray_runs.ray_root, ASSIGNMENT)
    assert ray["hang"]["status"] == "timeout" and ray["hang"]["score"] == 0
    assert "tiempo" in ray["hang"]["message"]
    assert ray["crash"]["status"] == "crashed"


def test_a_dead_ray_worker_is_an_error_the_batch_goes_on_and_the_next_run_grades_it(ray_runs):
    assert ray_runs.dies.returncode == 0, ray_runs.dies.stdout + ray_runs.dies.stderr
    first = ray_runs.after_death
    assert set(first) == {"reference", DIES}  # a results JSON for each one in the batch
    assert first["reference"]["status"] == "ok" and first["reference"]["score"] == 2
    assert first[DIES]["status"] == "error" and first[DIES]["score"] == 0
    assert "el proceso del corrector murió (Ray: " in first[DIES]["message"]
    assert {student for student, _, _ in ray_runs.rows_after_death} == {"reference", DIES}
    # Run again (no --address: a local Ray of its own): the error is graded again, the rest skipped.
    assert ray_runs.again.returncode == 0, ray_runs.again.stdout + ray_runs.again.stderr
    assert "skipped 1 already graded" in ray_runs.again.stdout
    second = results_of(ray_runs.dies_root, ASSIGNMENT)
    assert second["reference"]["graded_at"] == first["reference"]["graded_at"]
    assert second[DIES]["status"] == "ok" and second[DIES]["score"] == 1


def test_an_unreachable_cluster_is_a_clear_error(tmp_path, session_cache):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = build_course(tmp_path / "course")
    run = autograder("grade", ASSIGNMENT, "--course-dir", str(root), "--backend", "ray", "--address",
                     f"127.0.0.1:{port}", "--no-progress", env=child_env(session_cache), timeout=120)
    assert run.returncode == 2
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in run.stderr
    assert not (root / "results").exists()
