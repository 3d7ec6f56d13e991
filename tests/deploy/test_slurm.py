"""deploy/slurm/grade-ray.sbatch, run with stand-ins for Slurm, Ray and the grader that log their arguments."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "slurm" / "grade-ray.sbatch"
HEAD_IP = "10.1.2.3"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")

STUBS = {
    "scontrol": 'echo "scontrol $*" >> "$LOG"; printf "gpu-a\\ngpu-b\\ngpu-c\\n"',
    "hostname": f'echo "{HEAD_IP} fe80::1"',
    # srun logs the step it would start; the Ray processes it starts would block until the job ends.
    "srun": 'echo "srun $*" >> "$LOG"',
    "ray": 'echo "ray $*" >> "$LOG"; [ "$1" != status ] || [ -z "${HEAD_DOWN:-}" ]',
    "autograder": 'echo "autograder $* venv=${IN_VENV:-no}" >> "$LOG"',
    "sleep": ":",
}


@pytest.fixture()
def cluster(tmp_path) -> dict:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        stub = bin_dir / name
        stub.write_text(f"#!/bin/sh\n{body}\n")
        stub.chmod(0o755)
    course = tmp_path / "course"
    course.mkdir()
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "LOG": str(tmp_path / "log"), "SLURM_JOB_NODELIST": "gpu-[a-c]",
           "SLURM_CPUS_PER_TASK": "8", "SLURM_GPUS_ON_NODE": "2", "SLURM_SUBMIT_DIR": str(course)}
    return {"env": env, "course": course, "log": tmp_path / "log", "tmp": tmp_path}


def run(cluster: dict, *args: str, **extra_env: str) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    # Output is captured through pipes, so this returns once the background steps have exited too.
    proc = subprocess.run(["bash", str(SCRIPT), *args], env={**cluster["env"], **extra_env},
                          capture_output=True, text=True, timeout=60)
    log = cluster["log"]
    calls = [shlex.split(line) for line in log.read_text().splitlines()] if log.exists() else []
    return proc, calls


def srun_steps(calls: list[list[str]]) -> dict[str, list[str]]:
    """Node -> the command srun starts there."""
    steps = {}
    for call in calls:
        if call[0] == "srun":
            node = call[call.index("-w") + 1]
            assert node not in steps, f"two steps on {node}"
            steps[node] = call[call.index("ray"):]
    return steps


def test_starts_the_head_then_a_worker_per_other_node_then_grades_on_ray(cluster):
    proc, calls = run(cluster, "07_regularization", str(cluster["course"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    steps = srun_steps(calls)
    assert set(steps) == {"gpu-a", "gpu-b", "gpu-c"}
    head = steps["gpu-a"]
    assert head[:3] == ["ray", "start", "--head"]
    assert f"--node-ip-address={HEAD_IP}" in head and "--port=6379" in head
    for node in ("gpu-b", "gpu-c"):
        assert f"--address={HEAD_IP}:6379" in steps[node] and "--head" not in steps[node]
    for step in steps.values():
        assert "--num-gpus=2" in step and "--num-cpus=8" in step
    grades = [c for c in calls if c[0] == "autograder"]
    assert len(grades) == 1
    assert grades[0][1:-1] == ["grade", "07_regularization", "--course-dir", str(cluster["course"].resolve()),
                               "--backend", "ray", "--address", f"{HEAD_IP}:6379", "--sandbox", "bwrap",
                               "--no-progress"]


def test_the_course_defaults_to_the_submit_folder_and_the_port_can_change(cluster):
    proc, calls = run(cluster, "01_perceptron", RAY_PORT="7000")
    assert proc.returncode == 0, proc.stderr
    grade = next(c for c in calls if c[0] == "autograder")
    assert grade[grade.index("--course-dir") + 1] == str(cluster["course"].resolve())
    assert grade[grade.index("--address") + 1] == f"{HEAD_IP}:7000"


def test_the_sandbox_can_be_turned_off_explicitly(cluster):
    proc, calls = run(cluster, "01_perceptron", GRADER_SANDBOX="none")
    assert proc.returncode == 0, proc.stderr
    grade = next(c for c in calls if c[0] == "autograder")
    assert grade[grade.index("--sandbox") + 1] == "none"


def test_activates_the_grader_venv(cluster):
    venv = cluster["tmp"] / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "activate").write_text("export IN_VENV=yes\n")
    proc, calls = run(cluster, "01_perceptron", GRADER_VENV=str(venv))
    assert proc.returncode == 0, proc.stderr
    assert next(c for c in calls if c[0] == "autograder")[-1] == "venv=yes"


def test_no_grading_when_the_head_never_comes_up(cluster):
    proc, calls = run(cluster, "01_perceptron", HEAD_DOWN="1")
    assert proc.returncode != 0
    assert not any(c[0] == "autograder" for c in calls)
    assert set(srun_steps(calls)) == {"gpu-a"}  # no worker joins a head that is not there


def test_needs_an_assignment(cluster):
    proc, calls = run(cluster)
    assert proc.returncode != 0
    assert "usage" in proc.stderr
    assert calls == []
