"""``--backend ray``: one Ray task per submission, on a cluster or on a local Ray instance.

Each task asks for one GPU (``num_gpus=1``; Ray sets ``CUDA_VISIBLE_DEVICES``) where the
cluster has GPUs, or for ``1/K`` of one with ``--per-gpu K`` (K tasks share a GPU; each task
caps its kernel at its share of the memory of the GPU Ray gave it, read on its node), and for
its share of CPUs otherwise. The task assumes no filesystem shared
with the driver: the driver sends the job and a tar bundle (the submission, the source's other
files, the job's gradebook copy); the task unpacks it in a temporary folder on its node, runs
``python -m autograder.worker`` there in its own session, kills it and its kernel past the hard
deadline, and sends the out dir back as a tar bundle (:mod:`autograder.bundles`, which any
backend without a shared filesystem can reuse). The driver unpacks it into the job's out
dir, so the batch loop records it exactly as a local one: the gradebook is only written here.

Tasks are never retried (``max_retries=0``): a retry could run a student's code twice without
anyone knowing. A task whose worker or node dies is graded "error" (and graded again by the
next run, like any error); the batch goes on.

Test hook: the driver kills the Ray worker of each student listed in the environment variable
``AUTOGRADER_TEST_KILL_RAY_WORKER`` (comma-separated) with ``os._exit`` once its kernel has
started, so tests can show what a worker that dies for real becomes. Never set it otherwise.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tarfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import messages as msg
from .backends import Handle
from .bundles import (  # noqa: F401
    COURSE,
    LINK_PLACEHOLDER,
    MAX_BUNDLE,
    OUT,
    SOURCE,
    SUBMISSION,
    folder_size,
    localize,
    pack_folder,
    pack_inputs,
    run_job,
    unpack,
)
from .devices import (
    MEMORY_ENV,
    Slot,
    _thread_env,
    detect_gpu_memory,
    gpu_cap_env,
    memory_cap,
    plan_slots,
    smallest_memory,
)
from .job import Job

DRIVER_GRACE = 300.0  # seconds past the hard deadline before the driver cancels a task itself
TEST_KILL_ENV = "AUTOGRADER_TEST_KILL_RAY_WORKER"
SHARE_ENV = "AUTOGRADER_GPU_SHARE"  # K, for the task to turn into a memory cap on its node


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RuntimeError("the Ray backend needs Ray: pip install 'dl-course-kit[ray]'") from None
    return ray


# -- planning ----------------------------------------------------------------------------------
@dataclass
class RayPlan:
    """Slots, the resources each task asks for, and the memory one slot may use."""

    slots: list[Slot]
    options: dict[str, float]  # num_cpus, num_gpus of each task
    slot_memory: int
    kind: str  # "gpu" or "cpu"


def plan_ray_slots(nodes: list[dict[str, float]], gpus: str = "auto", workers: int | None = None,
                   threads: int | None = None, per_gpu: int | None = None) -> RayPlan:
    """The slots of a batch on a cluster whose alive nodes have these resources (``CPU``, ``GPU``, ``memory``).

    With ``gpus="auto"`` and GPUs in the cluster: one slot per GPU (``workers`` of them at
    most), each task with one GPU and the CPUs that go with one GPU on the scarcest node; with
    ``per_gpu`` K above 1, K slots per GPU, each task with ``1/K`` GPU (``num_gpus``), ``1/K`` of
    those CPUs (one at least) and of the memory, and a GPU memory cap set on its node. Otherwise CPU slots as on one machine (``workers``, default one per two cores, ``threads``
    each, default the cores over the workers), as many as fit on the nodes.
    """
    if workers is not None and workers < 1:
        raise ValueError("--workers must be at least 1")
    spec = gpus.strip().lower()
    if spec not in ("auto", "none", "cpu", ""):
        raise ValueError(f"with --backend ray, --gpus is auto or none (Ray assigns the GPUs); got {gpus!r}")
    gpu_nodes = [n for n in nodes if int(n.get("GPU", 0)) >= 1]
    if per_gpu is not None and per_gpu < 1:
        raise ValueError("--per-gpu must be at least 1")
    k = per_gpu or 1
    if spec == "auto" and gpu_nodes:
        count = sum(int(n["GPU"]) for n in gpu_nodes) * k
        ratio = max(1, min(int(n.get("CPU", 0)) // int(n["GPU"]) for n in gpu_nodes) // k)
        cpus = min(ratio, threads) if threads else ratio
        memory = min(int(n.get("memory", 0)) // int(n["GPU"]) for n in gpu_nodes) // k
        env = {**_thread_env(threads or ratio), **({SHARE_ENV: str(k)} if k > 1 else {})}
        slots = [Slot(f"ray-gpu:{i}", env) for i in range(min(count, workers or count))]
        return RayPlan(slots, {"num_gpus": 1 / k, "num_cpus": cpus}, memory, "gpu")
    cpu_nodes = [n for n in nodes if int(n.get("CPU", 0)) >= 1]
    if not cpu_nodes:
        raise RuntimeError("the Ray cluster has no CPU to grade on")
    total = sum(int(n["CPU"]) for n in cpu_nodes)
    wanted = workers or max(1, total // 2)
    per = min(threads or max(1, total // wanted), max(int(n["CPU"]) for n in cpu_nodes))
    fits = [(int(n["CPU"]) // per, int(n.get("memory", 0))) for n in cpu_nodes]
    memory = min(mem // count for count, mem in fits if count)
    hide = {"CUDA_VISIBLE_DEVICES": ""} if gpu_nodes else {}  # GPUs there but not used: hidden
    count = min(wanted, sum(count for count, _ in fits))
    slots = [Slot(f"ray-cpu:{i}", {**hide, **_thread_env(per)}) for i in range(count)]
    return RayPlan(slots, {"num_cpus": per, "num_gpus": 0}, memory, "cpu")


def share_env(env: dict[str, str], gpu_ids: list[Any], gpu_memory: dict[int, int]) -> dict[str, str]:
    """The job's environment on its node: a task sharing a GPU (``SHARE_ENV``) gets the memory cap
    of its share of the GPU Ray gave it (:func:`autograder.devices.memory_cap`)."""
    if SHARE_ENV not in env or MEMORY_ENV in env:
        return env
    ids = [int(g) for g in gpu_ids if str(g).isdigit()]
    return {**env, **gpu_cap_env(memory_cap(smallest_memory(gpu_memory, ids), int(env[SHARE_ENV])))}


def _ray_task(job: dict[str, Any], bundle: bytes, seconds: float, die: bool) -> dict[str, Any]:
    """The Ray task: ``run_job`` plus where it ran and when it started."""
    import ray

    started = time.time()
    if SHARE_ENV in job.get("env", {}):
        job = {**job, "env": share_env(job["env"], list(ray.get_gpu_ids()), detect_gpu_memory())}
    reply = run_job(job, bundle, seconds, die=die)
    reply.update(node=ray.util.get_node_ip_address(), gpus=[str(g) for g in ray.get_gpu_ids()], started=started)
    return reply


# -- the driver --------------------------------------------------------------------------------
def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a ``host:port`` (or ``ray://host:port``) nobody listens on: Ray itself retries for minutes."""
    host, sep, port = address.split("://", 1)[-1].rstrip("/").rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto" and the like: Ray resolves them
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise RuntimeError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


class RayBackend:
    """Grades each submission in a Ray task; see the module's doc.

    Args:
        address: a Ray cluster (``host:port``, ``ray://host:port`` or ``auto``); ``None`` or
            ``"local"`` starts a local Ray instance with ``workers`` x ``threads`` CPUs, which
            ``close()`` shuts down (a cluster it connected to is left running). A Ray already
            initialized in this process is used as it is.
        gpus: ``"auto"`` (a GPU per task where the cluster has GPUs) or ``"none"``.
        workers: slots at most (default: one per GPU, or one per two CPUs).
        threads: math threads (and Ray CPUs) per CPU task.
        per_gpu: tasks sharing a GPU (``num_gpus=1/K``; default 1).
    """

    def __init__(self, address: str | None = None, gpus: str = "auto", workers: int | None = None,
                 threads: int | None = None, per_gpu: int | None = None):
        ray = _import_ray()
        self._ray = ray
        self.owns = False
        if not ray.is_initialized():
            if address in (None, "", "local"):
                local = plan_slots("none", [], workers, threads=threads)
                per = int(local[0].env["OMP_NUM_THREADS"])
                ray.init(address="local", num_cpus=len(local) * per, num_gpus=0 if gpus == "none" else None,
                         include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
                self.owns = True
            else:
                check_reachable(address)
                try:
                    ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
                except Exception as exc:
                    raise RuntimeError(f"cannot connect to the Ray cluster at {address}: {_first_line(exc)}") from None
        try:
            nodes = [dict(node["Resources"]) for node in ray.nodes() if node.get("Alive")]
            plan = plan_ray_slots(nodes, gpus, workers, threads, per_gpu)
        except BaseException:
            self.close()
            raise
        self.slots, self.slot_memory, self.kind = plan.slots, plan.slot_memory, plan.kind
        self.options = plan.options
        self._task = ray.remote(max_retries=0)(_ray_task)
        self._die = {s for s in os.environ.get(TEST_KILL_ENV, "").split(",") if s}

    def start(self, job: Job, slot: Slot, deadline: float) -> RayRun:
        job.device = self.kind  # "gpu:N@NODE" or "cpu@NODE" once it ran
        seconds = max(1.0, deadline - time.monotonic())
        ref = self._task.options(**self.options).remote(asdict(job), pack_inputs(job), seconds,
                                                        job.student in self._die)
        return RayRun(self._ray, job, slot, deadline + DRIVER_GRACE, ref)

    def wait_any(self, handles: list[Handle], timeout: float) -> None:
        refs = [h.ref for h in handles if isinstance(h, RayRun) and not h.collected]
        if refs:
            self._ray.wait(refs, num_returns=1, timeout=timeout)
        else:
            time.sleep(min(timeout, 0.2))

    def close(self) -> None:
        """Shut down the local Ray this backend started (never a cluster it connected to)."""
        if self.owns and self._ray.is_initialized():
            self._ray.shutdown()
        self.owns = False


class RayRun:
    """A submission's Ray task; ``wait()`` brings its out dir back to this machine."""

    def __init__(self, ray: Any, job: Job, slot: Slot, deadline: float, ref: Any):
        self._ray = ray
        self.job, self.slot, self.deadline, self.ref = job, slot, deadline, ref
        self.killed = False
        self.collected = False
        self.submitted = time.time()
        self.started: float | None = None  # when the task began on its node (time.time())

    def done(self) -> bool:
        if self.collected:
            return True
        ready, _ = self._ray.wait([self.ref], num_returns=1, timeout=0)
        return bool(ready)

    def kill(self) -> None:
        """Cancel the task (its Ray worker is killed; the orphaned grader then kills its kernel)."""
        self.killed = True
        try:
            self._ray.cancel(self.ref, force=True)
        except Exception:  # already finished, or the cluster is gone
            pass
        self.wait()

    def wait(self) -> None:
        if self.collected:
            return
        self.collected = True
        try:
            reply = self._ray.get(self.ref)
        except Exception as exc:
            if not self.killed:  # killed: no result, so the batch grades it "timeout"
                cause = getattr(exc, "cause", None)  # a RayTaskError carries the task's own exception
                if isinstance(cause, Exception):
                    self._fail(msg.RAY_TASK_FAILED.format(error=f"{type(cause).__name__}: {_first_line(cause)}"), exc)
                else:
                    self._fail(msg.RAY_WORKER_DIED.format(error=type(exc).__name__), exc)
            return
        self.started = reply.get("started")
        gpus = reply.get("gpus") or []
        self.job.device = f"{self.job.device}{':' + ','.join(gpus) if gpus else ''}@{reply.get('node', '?')}"
        if reply["outcome"] == "too_big":
            self._fail(msg.RAY_BUNDLE_TOO_BIG.format(size_mb=reply["size"] / 2**20, limit_mb=reply["limit"] / 2**20))
            return
        self.killed = self.killed or reply["outcome"] == "killed"
        try:
            unpack(reply["bundle"], Path(self.job.out_dir))
        except (tarfile.TarError, ValueError, OSError) as exc:
            self._fail(msg.RAY_BUNDLE_UNREADABLE, exc)

    def _fail(self, detail: str, exc: BaseException | None = None) -> None:
        """Leave ``worker-error.txt`` (English first, the student's Spanish detail last) for the batch."""
        english = f"{type(exc).__name__}: {exc}" if exc is not None else detail
        print(f"autograder: Ray task for {self.job.student} failed: {_first_line(english)}", file=sys.stderr)
        out = Path(self.job.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "worker-error.txt").write_text(f"Ray task for {self.job.student} failed: {english}\n{detail}\n")


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
