"""The backends without a cluster: slot plans on made-up clusters, bundles, the Ray task's
function run here, and what the driver makes of a task's reply or failure."""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile
from dataclasses import asdict
from pathlib import Path

import pytest

from autograder.backends import LocalBackend, open_backend
from autograder.devices import MEMORY_ENV, Slot
from autograder.ray_backend import (
    LINK_PLACEHOLDER,
    RayRun,
    localize,
    pack_folder,
    pack_inputs,
    plan_ray_slots,
    run_job,
    share_env,
    unpack,
)
from autograder.worker import Job

GiB = 2**30


def node(cpus: int, gpus: int = 0, memory: float = 64 * GiB) -> dict[str, float]:
    return {"CPU": float(cpus), "GPU": float(gpus), "memory": float(memory)} if gpus else \
        {"CPU": float(cpus), "memory": float(memory)}


def test_ray_gives_each_task_one_gpu_and_leaves_cuda_visible_devices_to_ray():
    plan = plan_ray_slots([node(32, 4), node(32, 4), node(8)])
    assert [s.label for s in plan.slots] == [f"ray-gpu:{i}" for i in range(8)]
    assert plan.options == {"num_gpus": 1, "num_cpus": 8} and plan.kind == "gpu"
    assert all("CUDA_VISIBLE_DEVICES" not in s.env and s.env["OMP_NUM_THREADS"] == "8" for s in plan.slots)
    assert plan.slot_memory == 16 * GiB
    assert len(plan_ray_slots([node(32, 4), node(32, 4)], workers=3).slots) == 3


def test_ray_shares_a_gpu_among_k_tasks_with_fractional_gpus():
    plan = plan_ray_slots([node(32, 4), node(32, 4)], per_gpu=4)
    assert len(plan.slots) == 32 and plan.kind == "gpu"
    assert plan.options == {"num_gpus": 0.25, "num_cpus": 2}  # 8 CPUs per GPU over 4 tasks
    assert plan.slot_memory == 4 * GiB
    assert all(s.env["AUTOGRADER_GPU_SHARE"] == "4" and s.env["OMP_NUM_THREADS"] == "2" for s in plan.slots)
    assert all("CUDA_VISIBLE_DEVICES" not in s.env and MEMORY_ENV not in s.env for s in plan.slots)
    assert plan_ray_slots([node(2, 1)], per_gpu=8).options["num_cpus"] == 1  # a CPU each at least
    assert plan_ray_slots([node(8, 1)], per_gpu=3, workers=2).options["num_gpus"] == pytest.approx(1 / 3)
    assert "AUTOGRADER_GPU_SHARE" not in plan_ray_slots([node(8, 1)], per_gpu=1).slots[0].env
    with pytest.raises(ValueError, match="per-gpu"):
        plan_ray_slots([node(8, 1)], per_gpu=0)


def test_a_ray_task_sharing_a_gpu_caps_its_kernel_with_the_memory_of_the_gpu_it_got():
    env = {"AUTOGRADER_GPU_SHARE": "4", "OMP_NUM_THREADS": "2"}
    capped = share_env(env, [3], {0: 16384, 3: 81920})
    assert capped[MEMORY_ENV] == str((81920 - 4 * 1024) // 4) and capped["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    assert capped["OMP_NUM_THREADS"] == "2"
    assert share_env({"OMP_NUM_THREADS": "2"}, [0], {0: 16384}) == {"OMP_NUM_THREADS": "2"}  # not shared
    with pytest.raises(ValueError, match="memory"):
        share_env(env, [5], {0: 16384})  # nvidia-smi on the node does not know the GPU


def test_ray_cpu_slots_fit_on_the_nodes_and_hide_unused_gpus():
    plan = plan_ray_slots([node(2)], workers=2)
    assert [s.label for s in plan.slots] == ["ray-cpu:0", "ray-cpu:1"]
    assert plan.options == {"num_cpus": 1, "num_gpus": 0} and plan.kind == "cpu"
    assert plan.slot_memory == 32 * GiB
    assert len(plan_ray_slots([node(8), node(8)]).slots) == 8  # one per two cores, as locally
    big = plan_ray_slots([node(4), node(4)], workers=4, threads=16)  # 16 threads fit on no node
    assert big.options["num_cpus"] == 4 and len(big.slots) == 2
    hidden = plan_ray_slots([node(16, 2)], gpus="none", workers=2)
    assert hidden.kind == "cpu" and all(s.env["CUDA_VISIBLE_DEVICES"] == "" for s in hidden.slots)


def test_ray_rejects_gpu_indices_and_empty_clusters():
    with pytest.raises(ValueError, match="auto or none"):
        plan_ray_slots([node(8, 2)], gpus="0,1")
    with pytest.raises(ValueError, match="at least 1"):
        plan_ray_slots([node(8)], workers=0)
    with pytest.raises(RuntimeError, match="no CPU"):
        plan_ray_slots([])


def test_backend_choice_and_its_errors(monkeypatch):
    local = open_backend("local", gpus="none", workers=2, threads=1)
    assert isinstance(local, LocalBackend)
    assert [s.label for s in local.slots] == ["cpu:0", "cpu:1"] and local.slot_memory > 0
    with pytest.raises(ValueError, match="--address is for --backend ray"):
        open_backend("local", address="10.0.0.1:6379")
    with pytest.raises(ValueError, match="unknown backend"):
        open_backend("slurm")
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(RuntimeError, match=r"pip install 'dl-course-kit\[ray\]'"):
        open_backend("ray")


def make_job(tmp_path: Path, **fields) -> Job:
    """A job on made-up folders: a submission, a source folder, an out dir with a gradebook copy."""
    submission, source, out = tmp_path / "submitted", tmp_path / "source", tmp_path / "out"
    for folder in (submission / ".ipynb_checkpoints", source / "datos", out):
        folder.mkdir(parents=True)
    (submission / "tarea.ipynb").write_text("{}")
    (submission / "notas.txt").write_text("mías")
    (submission / ".ipynb_checkpoints" / "tarea-checkpoint.ipynb").write_text("old")
    os.symlink("/etc/passwd", submission / "enlace")
    (source / "tarea.ipynb").write_text("the instructor's version")
    (source / "datos" / "x.csv").write_text("1,2\n")
    (out / "gradebook.db").write_bytes(b"sqlite")
    defaults = dict(course_root=str(tmp_path), course_id="c", assignment="a", student="ana",
                    submission_dir=str(submission), source_dir=str(source), notebooks=["tarea"],
                    db_url=f"sqlite:///{out / 'gradebook.db'}", out_dir=str(out), ignore=[".ipynb_checkpoints"],
                    sandbox={"mode": "bwrap", "hide": [str(tmp_path)], "data": ["/driver/data"]})
    return Job(**{**defaults, **fields})


def test_the_bundle_holds_what_the_worker_reads_and_the_job_follows_it(tmp_path):
    job = make_job(tmp_path)
    dest = tmp_path / "node"
    unpack(pack_inputs(job), dest)
    files = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file() or p.is_symlink())
    assert files == ["out-dir/gradebook.db", "source-dir/datos/x.csv", "submission-dir/enlace",
                     "submission-dir/notas.txt", "submission-dir/tarea.ipynb"]
    assert os.readlink(dest / "submission-dir" / "enlace") == LINK_PLACEHOLDER  # still a link, to nothing
    local = localize(asdict(job), dest, data=["/node/data"])
    assert local["db_url"] == f"sqlite:///{dest / 'out-dir' / 'gradebook.db'}"
    assert (local["submission_dir"], local["source_dir"], local["out_dir"]) == \
        (str(dest / "submission-dir"), str(dest / "source-dir"), str(dest / "out-dir"))
    assert local["sandbox"]["hide"] == [str(dest)] and local["sandbox"]["data"] == ["/node/data"]
    assert local["sandbox"]["mode"] == "bwrap" and local["student"] == "ana"


def test_a_bundle_cannot_write_outside_its_folder(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("../fuera.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"no"))
    with pytest.raises((tarfile.TarError, ValueError)):
        unpack(buffer.getvalue(), tmp_path / "dest")
    assert not (tmp_path / "fuera.txt").exists()


def test_the_returned_bundle_leaves_out_links(tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "modelo.keras").write_bytes(b"weights")
    os.symlink("/etc/passwd", tmp_path / "work" / "robado")
    unpack(pack_folder(tmp_path), tmp_path / "back")
    assert (tmp_path / "back" / "work" / "modelo.keras").read_bytes() == b"weights"
    assert not os.path.lexists(tmp_path / "back" / "work" / "robado")


def _worker_job(tmp_path: Path) -> dict:
    # No sandbox and a notebook that is not there: the worker finishes in seconds ("invalid").
    return asdict(make_job(tmp_path, notebooks=["falta"], sandbox={}))


def test_the_task_function_runs_the_worker_and_sends_back_its_out_dir(tmp_path):
    job = _worker_job(tmp_path)
    reply = run_job(job, pack_inputs(Job(**job)), seconds=300)
    assert reply["outcome"] == "done" and reply["exit_code"] == 0
    unpack(reply["bundle"], tmp_path / "back")
    result = json.loads((tmp_path / "back" / "result.json").read_text())
    assert result["status"] == "invalid" and "falta" in result["detail"]
    assert not (tmp_path / "back" / "gradebook.db").exists()  # the driver has it already

    small = run_job(job, pack_inputs(Job(**job)), seconds=300, limit=10)
    assert small["outcome"] == "too_big" and small["size"] > 10 and small["bundle"] == b""


def test_the_task_function_kills_the_worker_past_its_deadline(tmp_path):
    job = _worker_job(tmp_path)
    reply = run_job(job, pack_inputs(Job(**job)), seconds=0.2)  # not even its imports finish
    assert reply["outcome"] == "killed" and reply["exit_code"] is None
    unpack(reply["bundle"], tmp_path / "back")
    assert not (tmp_path / "back" / "result.json").exists()


class FakeRay:
    """Just what a ``RayRun`` calls: ``get`` answers ``reply`` or raises it."""

    def __init__(self, reply):
        self.reply = reply

    def get(self, ref):
        if isinstance(self.reply, BaseException):
            raise self.reply
        return self.reply

    def wait(self, refs, num_returns=1, timeout=None):
        return list(refs), []


def _run(tmp_path: Path, reply, kind: str = "cpu") -> RayRun:
    job = make_job(tmp_path, device=kind)  # what RayBackend.start sets
    (Path(job.out_dir) / "gradebook.db").unlink()
    run = RayRun(FakeRay(reply), job, Slot("ray-cpu:0"), deadline=0.0, ref=object())
    run.wait()
    return run


def test_a_reply_fills_the_out_dir_and_says_where_it_ran(tmp_path):
    bundle_dir = tmp_path / "made"
    (bundle_dir / "notebooks").mkdir(parents=True)
    (bundle_dir / "result.json").write_text('{"status": "ok"}')
    reply = {"outcome": "done", "exit_code": 0, "bundle": pack_folder(bundle_dir), "node": "10.0.0.3", "gpus": [],
             "started": 1.0, "size": 20, "limit": 100}
    run = _run(tmp_path / "a", reply)
    assert run.done() and not run.killed and run.job.device == "cpu@10.0.0.3"
    assert json.loads((Path(run.job.out_dir) / "result.json").read_text()) == {"status": "ok"}
    killed = _run(tmp_path / "b", {**reply, "outcome": "killed", "bundle": pack_folder(tmp_path / "b" / "out")})
    assert killed.killed


def test_a_dead_worker_or_an_oversized_reply_leaves_a_spanish_detail_for_the_batch(tmp_path):
    class WorkerCrashedError(Exception):
        pass

    crashed = _run(tmp_path / "a", WorkerCrashedError("The worker died unexpectedly"))
    last = (Path(crashed.job.out_dir) / "worker-error.txt").read_text().strip().splitlines()[-1]
    assert last == "el proceso del corrector murió (Ray: WorkerCrashedError)" and not crashed.killed
    big = _run(tmp_path / "b", {"outcome": "too_big", "exit_code": 0, "bundle": b"", "node": "n", "gpus": ["1"],
                                "size": 600 * 2**20, "limit": 512 * 2**20}, kind="gpu")
    last = (Path(big.job.out_dir) / "worker-error.txt").read_text().strip().splitlines()[-1]
    assert "600 MB" in last and "512 MB" in last and big.job.device == "gpu:1@n"
    error = RuntimeError("task failed")  # a task that raised: Ray hands its exception over as ``cause``
    error.cause = ValueError("sandbox missing\nmore lines")
    failed = _run(tmp_path / "c", error)
    last = (Path(failed.job.out_dir) / "worker-error.txt").read_text().strip().splitlines()[-1]
    assert last == "el corrector falló en Ray (ValueError: sandbox missing)"


def test_a_task_sweeps_the_folders_of_dead_ray_workers_on_its_node(tmp_path, monkeypatch):
    import subprocess

    from autograder import bundles as ray_backend

    monkeypatch.setattr(ray_backend.tempfile, "gettempdir", lambda: str(tmp_path))
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"{ray_backend._TMP_PREFIX}{gone.pid}-abc"
    alive = tmp_path / f"{ray_backend._TMP_PREFIX}{os.getpid()}-def"
    other = tmp_path / "autograder-ray-otherhost-1-ghi"
    for folder in (dead, alive, other):
        folder.mkdir()
    ray_backend._sweep_stale()
    assert not dead.exists() and alive.exists() and other.exists()
