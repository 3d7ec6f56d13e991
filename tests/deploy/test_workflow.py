"""The GPU grading workflow: what a user relies on, read from the YAML, and its unpack step run for real."""

from __future__ import annotations

import io
import re
import shutil
import stat
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "grade-gpu.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def step_named(workflow: dict, prefix: str) -> dict:
    found = [s for s in steps(workflow) if s.get("name", "").startswith(prefix)]
    assert len(found) == 1, f"expected one step named {prefix!r}..."
    return found[0]


def test_dispatched_by_hand_with_the_documented_inputs(workflow):
    on = triggers(workflow)
    assert set(on) == {"workflow_dispatch"}
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["assignment"]["required"] is True
    assert inputs["submissions"]["required"] is True
    assert not inputs["ray_address"].get("required", False)


def test_runs_on_self_hosted_gpu_runners_with_a_time_limit(workflow):
    for job in workflow["jobs"].values():
        assert {"self-hosted", "linux", "gpu"} <= set(job["runs-on"])
        assert job["timeout-minutes"] > 0


def test_reads_the_repository_and_nothing_more(workflow):
    assert workflow["permissions"] == {"contents": "read"}


def test_inputs_reach_the_scripts_only_through_env(workflow):
    inputs = triggers(workflow)["workflow_dispatch"]["inputs"]
    for job in workflow["jobs"].values():
        env_values = " ".join(str(v) for v in job.get("env", {}).values())
        for name in inputs:
            assert f"inputs.{name}" in env_values, f"input {name} is not routed through env"
    for step in steps(workflow):
        assert "${{" not in step.get("run", ""), f"an expression is pasted into the script of {step.get('name')!r}"


def test_grades_with_the_image_and_the_gpus(workflow):
    script = step_named(workflow, "Release and grade")["run"]
    assert re.search(r'release "\$ASSIGNMENT"', script)
    assert re.search(r'grade "\$ASSIGNMENT" --gpus auto --sandbox bwrap', script)
    assert "--gpus all" in script
    assert "deploy/Dockerfile" in step_named(workflow, "Build")["run"]


def test_uploads_results_feedback_autograded_and_grades(workflow):
    uploads = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert len(uploads) == 1
    assert re.fullmatch(r"actions/upload-artifact@v\d+", uploads[0]["uses"]), "pin the action's major version"
    paths = {line.strip().rstrip("/") for line in uploads[0]["with"]["path"].splitlines() if line.strip()}
    assert paths == {"results", "feedback", "autograded", "grades.csv"}


# -- the input checks and the unpack step, run with bash as Actions runs them ------------------
ASSIGNMENT = "07_regularization"


def run_steps(workflow: dict, course: Path, archive: Path | str, assignment: str = ASSIGNMENT):
    script = step_named(workflow, "Check the inputs")["run"] + "\n" + step_named(workflow, "Unpack")["run"]
    env = {"PATH": "/usr/bin:/bin", "ASSIGNMENT": assignment, "SUBMISSIONS": str(archive)}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=course,
                          env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture()
def course(tmp_path) -> Path:
    root = tmp_path / "course"
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    return root


def make_tar(path: Path, members: dict[str, bytes | tuple[int, str]]) -> Path:
    """A .tar.gz; a member is file content, or (tar type, link target) for a link."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(data, tuple):
                info.type, info.linkname = data
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def make_zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # Unix, so that unzip reads the mode bits
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


GOOD = {f"alice/{ASSIGNMENT}/nb.ipynb": b"{}", f"bob/{ASSIGNMENT}/nb.ipynb": b"{}", f"bob/{ASSIGNMENT}/data.csv": b"1"}


def test_unpacks_a_tar_gz_into_submitted(workflow, course, tmp_path):
    proc = run_steps(workflow, course, make_tar(tmp_path / "subs.tar.gz", GOOD))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name, data in GOOD.items():
        assert (course / "submitted" / name).read_bytes() == data
    assert "2 submission(s)" in proc.stdout


@pytest.mark.skipif(shutil.which("unzip") is None, reason="unzip is not installed")
def test_unpacks_a_zip_into_submitted(workflow, course, tmp_path):
    proc = run_steps(workflow, course, make_zip(tmp_path / "subs.zip", GOOD))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name, data in GOOD.items():
        assert (course / "submitted" / name).read_bytes() == data


@pytest.mark.parametrize("members", [
    {f"../alice/{ASSIGNMENT}/nb.ipynb": b"{}"},
    {f"alice/../../{ASSIGNMENT}/nb.ipynb": b"{}"},
    {f"/tmp/alice/{ASSIGNMENT}/nb.ipynb": b"{}"},
    {**GOOD, "alice/escape": (tarfile.SYMTYPE, "/etc")},
    {**GOOD, "alice/hard": (tarfile.LNKTYPE, "/etc/passwd")},
    {**GOOD, "alice/fifo": (tarfile.FIFOTYPE, "")},
], ids=["dotdot", "inner-dotdot", "absolute", "symlink", "hardlink", "fifo"])
def test_refuses_a_tar_that_could_write_outside_submitted(workflow, course, tmp_path, members):
    proc = run_steps(workflow, course, make_tar(tmp_path / "bad.tar.gz", members))
    assert proc.returncode != 0
    assert "::error::" in proc.stdout
    assert not (course / "submitted").exists()
    assert not (tmp_path / "alice").exists() and not (course / "alice").exists()


@pytest.mark.skipif(shutil.which("unzip") is None, reason="unzip is not installed")
def test_refuses_a_zip_with_a_link(workflow, course, tmp_path):
    proc = run_steps(workflow, course, make_zip(tmp_path / "bad.zip", GOOD, links={"alice/escape": "/etc"}))
    assert proc.returncode != 0
    assert not (course / "submitted").exists()


def test_refuses_an_archive_without_student_folders_on_top(workflow, course, tmp_path):
    nested = {f"submitted/{name}": data for name, data in GOOD.items()}
    proc = run_steps(workflow, course, make_tar(tmp_path / "nested.tar.gz", nested))
    assert proc.returncode != 0
    assert f"no STUDENT/{ASSIGNMENT}" in proc.stdout


@pytest.mark.parametrize("assignment", ["../source", "-rf", "", "08_missing"])
def test_refuses_an_assignment_that_is_not_a_source_folder(workflow, course, tmp_path, assignment):
    proc = run_steps(workflow, course, make_tar(tmp_path / "subs.tar.gz", GOOD), assignment=assignment)
    assert proc.returncode != 0
    assert not (course / "submitted").exists()


@pytest.mark.parametrize("archive", ["relative/subs.tar.gz", "/no/such/subs.tar.gz", "/etc/passwd"])
def test_refuses_a_missing_or_unknown_archive(workflow, course, archive):
    proc = run_steps(workflow, course, archive)
    assert proc.returncode != 0
    assert not (course / "submitted").exists()
