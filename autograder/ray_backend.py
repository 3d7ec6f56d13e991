"""``--backend ray``: one Ray task per submission, on a cluster or on a local Ray instance.

Each task asks for one GPU (``num_gpus=1``; Ray sets ``CUDA_VISIBLE_DEVICES``) where the
cluster has GPUs, and for its share of CPUs otherwise. The task assumes no filesystem shared
with the driver: the driver sends the job and a tar bundle (the submission, the source's other
files, the job's gradebook copy); the task unpacks it in a temporary folder on its node, runs
``python -m autograder.worker`` there in its own session, kills it and its kernel past the hard
deadline, and sends the out dir back as a tar bundle. The driver unpacks it into the job's out
dir, so the batch loop records it exactly as a local one: the gradebook is only written here.

Tasks are never retried (``max_retries=0``): a retry could run a student's code twice without
anyone knowing. A task whose worker or node dies is graded "error" (and graded again by the
next run, like any error); the batch goes on.

Test hook: the driver kills the Ray worker of each student listed in the environment variable
``AUTOGRADER_TEST_KILL_RAY_WORKER`` (comma-separated) with ``os._exit`` once its kernel has
started, so tests can show what a worker that dies for real becomes. Never set it otherwise.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .backends import Handle, kill_tree
from .devices import Slot, _thread_env, plan_slots
from .worker import Job, support_files, walk_files

MAX_BUNDLE = 512 * 2**20  # bytes of out dir a task may send back
DRIVER_GRACE = 300.0  # seconds past the hard deadline before the driver cancels a task itself
TEST_KILL_ENV = "AUTOGRADER_TEST_KILL_RAY_WORKER"
SQLITE = "sqlite:///"


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
                   threads: int | None = None) -> RayPlan:
    """The slots of a batch on a cluster whose alive nodes have these resources (``CPU``, ``GPU``, ``memory``).

    With ``gpus="auto"`` and GPUs in the cluster: one slot per GPU (``workers`` of them at
    most), each task with one GPU and the CPUs that go with one GPU on the scarcest node.
    Otherwise CPU slots as on one machine (``workers``, default one per two cores, ``threads``
    each, default the cores over the workers), as many as fit on the nodes.
    """
    if workers is not None and workers < 1:
        raise ValueError("--workers must be at least 1")
    spec = gpus.strip().lower()
    if spec not in ("auto", "none", "cpu", ""):
        raise ValueError(f"with --backend ray, --gpus is auto or none (Ray assigns the GPUs); got {gpus!r}")
    gpu_nodes = [n for n in nodes if int(n.get("GPU", 0)) >= 1]
    if spec == "auto" and gpu_nodes:
        count = sum(int(n["GPU"]) for n in gpu_nodes)
        ratio = min(int(n.get("CPU", 0)) // int(n["GPU"]) for n in gpu_nodes)
        cpus = min(ratio, threads) if threads else ratio
        memory = min(int(n.get("memory", 0)) // int(n["GPU"]) for n in gpu_nodes)
        env = _thread_env(threads or max(1, ratio))
        slots = [Slot(f"ray-gpu:{i}", env) for i in range(min(count, workers or count))]
        return RayPlan(slots, {"num_gpus": 1, "num_cpus": cpus}, memory, "gpu")
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


# -- bundles -----------------------------------------------------------------------------------
LINK_PLACEHOLDER = "symlink-not-sent"  # a submission's symlink travels as a link to nowhere
# The folders of a task; never names Python could import (the worker runs there: ``python -m``
# puts its folder first on sys.path, and a folder "course" would hide the course package).
COURSE, SUBMISSION, SOURCE, OUT = "course-root", "submission-dir", "source-dir", "out-dir"


def _regular_files(folder: Path) -> list[Path]:
    """The regular files under ``folder``, relative, sorted; symlinks are neither listed nor entered."""
    return sorted(rel for rel, link in walk_files(folder, []) if not link)


def pack_inputs(job: Job) -> bytes:
    """What the worker reads, as a tar: ``submission-dir/``, ``source-dir/`` (no notebooks), ``out-dir/``.

    The submission's symlinks stay links (the worker reports and skips them) but point nowhere."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        submission = Path(job.submission_dir)
        for rel, link in walk_files(submission, job.ignore):
            if link:
                info = tarfile.TarInfo(f"{SUBMISSION}/{rel.as_posix()}")
                info.type, info.linkname = tarfile.SYMTYPE, LINK_PLACEHOLDER
                tar.addfile(info)
            else:
                tar.add(submission / rel, arcname=f"{SUBMISSION}/{rel.as_posix()}", recursive=False)
        source = Path(job.source_dir)
        for rel in support_files(job):  # the instructor's files: links followed, as the worker's copy does
            tar.add((source / rel).resolve(), arcname=f"{SOURCE}/{rel.as_posix()}", recursive=False)
        out = Path(job.out_dir)
        for rel in _regular_files(out):
            tar.add(out / rel, arcname=f"{OUT}/{rel.as_posix()}", recursive=False)
    return buffer.getvalue()


def pack_folder(folder: Path) -> bytes:
    """``folder``'s regular files as a tar (symlinks and devices are left out)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for rel in _regular_files(folder):
            tar.add(folder / rel, arcname=rel.as_posix(), recursive=False)
    return buffer.getvalue()


def unpack(bundle: bytes, dest: Path) -> None:
    """Extract a tar bundle into ``dest``; nothing may land (or point) outside it."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(bundle)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
            return
        root = dest.resolve()  # an older Python: check the entries ourselves
        for member in tar.getmembers():
            target = (dest / member.name).resolve()
            allowed = member.isfile() or member.isdir() or (member.issym() and member.linkname == LINK_PLACEHOLDER)
            if not allowed or (target != root and root not in target.parents):
                raise ValueError(f"unsafe entry in bundle: {member.name}")
        tar.extractall(dest)


def folder_size(folder: Path) -> int:
    return sum((folder / rel).stat().st_size for rel in _regular_files(folder))


def localize(job: dict[str, Any], root: Path, data: list[str] | None = None) -> dict[str, Any]:
    """The job with its paths moved under ``root`` (where ``pack_inputs``'s bundle was unpacked).

    The sandbox hides ``root`` from the kernel and binds this node's ``data`` folders."""
    out = root / OUT
    local = {**job, "course_root": str(root / COURSE), "submission_dir": str(root / SUBMISSION),
             "source_dir": str(root / SOURCE), "out_dir": str(out)}
    if job["db_url"].startswith(SQLITE):
        db = Path(job["db_url"][len(SQLITE):])
        try:
            local["db_url"] = SQLITE + str(out / db.relative_to(job["out_dir"]))
        except ValueError:
            raise RuntimeError(f"the gradebook {db} is not in the job's out dir: a Ray task cannot read it") from None
    if job.get("sandbox"):
        local["sandbox"] = {**job["sandbox"], "hide": [str(root)], "data": list(data or [])}
    return local


# -- the task ----------------------------------------------------------------------------------
_TMP_PREFIX = f"autograder-ray-{socket.gethostname()}-"


def _sweep_stale() -> None:
    """Remove the folders of tasks whose Ray worker died (killed or cancelled) on this node."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_TMP_PREFIX}*-*"):
        pid = folder.name[len(_TMP_PREFIX):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # alive, someone else's


def run_job(job: dict[str, Any], bundle: bytes, seconds: float, die: bool = False,
            limit: int = MAX_BUNDLE) -> dict[str, Any]:
    """Grade one submission from its bundle in a temporary folder; kill the worker past ``seconds``.

    Returns ``outcome`` ("done", "killed" or "too_big"), the worker's ``exit_code`` and the out
    dir as a tar ``bundle`` (empty when it is over ``limit`` bytes; ``size`` says how big).
    """
    _sweep_stale()
    root = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{os.getpid()}-"))
    try:
        unpack(bundle, root)
        for name in (COURSE, SUBMISSION, SOURCE, OUT):
            (root / name).mkdir(exist_ok=True)
        local = localize(job, root, data=_node_data(job))
        out = Path(local["out_dir"])
        job_file = out / "job.json"
        job_file.write_text(json.dumps(local, ensure_ascii=False))
        with open(out / "worker-output.log", "wb") as log:
            worker = subprocess.Popen([sys.executable, "-m", "autograder.worker", str(job_file)], cwd=root,
                                      stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        if die:
            _die_once_running(worker, out)
        try:
            code: int | None = worker.wait(timeout=max(0.0, seconds))
            outcome = "done"
        except subprocess.TimeoutExpired:
            kill_tree(worker.pid, out / "kernel.pid")
            worker.wait()
            code, outcome = None, "killed"
        job_file.unlink()
        if local["db_url"].startswith(SQLITE):  # the driver's gradebook copy: it has it already
            Path(local["db_url"][len(SQLITE):]).unlink(missing_ok=True)
        size = folder_size(out)
        if size > limit:
            return {"outcome": "killed" if outcome == "killed" else "too_big", "exit_code": code, "bundle": b"",
                    "size": size, "limit": limit}
        return {"outcome": outcome, "exit_code": code, "bundle": pack_folder(out), "size": size, "limit": limit}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _node_data(job: dict[str, Any]) -> list[str]:
    """This node's data folders for the sandbox; refuses a sandbox this node cannot build."""
    if (job.get("sandbox") or {}).get("mode", "none") == "none":
        return []
    from . import sandbox

    reason = sandbox.probe()
    if reason is not None:
        raise RuntimeError(f"the batch grades in the bwrap sandbox, which node {socket.gethostname()} cannot build: "
                           f"{reason}")
    return sandbox.data_dirs(dict(os.environ))


def _die_once_running(worker: subprocess.Popen, out: Path) -> None:
    """Test hook (see the module's doc): this process dies for real once the kernel has started."""
    deadline = time.monotonic() + 120
    while worker.poll() is None and not (out / "kernel.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os._exit(1)


def _ray_task(job: dict[str, Any], bundle: bytes, seconds: float, die: bool) -> dict[str, Any]:
    """The Ray task: ``run_job`` plus where it ran and when it started."""
    import ray

    started = time.time()
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
    """

    def __init__(self, address: str | None = None, gpus: str = "auto", workers: int | None = None,
                 threads: int | None = None):
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
            plan = plan_ray_slots(nodes, gpus, workers, threads)
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
                    self._fail(f"el corrector falló en Ray ({type(cause).__name__}: {_first_line(cause)})", exc)
                else:
                    self._fail(f"el proceso del corrector murió (Ray: {type(exc).__name__})", exc)
            return
        self.started = reply.get("started")
        gpus = reply.get("gpus") or []
        self.job.device = f"{self.job.device}{':' + ','.join(gpus) if gpus else ''}@{reply.get('node', '?')}"
        if reply["outcome"] == "too_big":
            self._fail(f"la carpeta de la entrega ocupa {reply['size'] / 2**20:.0f} MB al terminar, más que los "
                       f"{reply['limit'] / 2**20:.0f} MB que el corrector en Ray puede devolver")
            return
        self.killed = self.killed or reply["outcome"] == "killed"
        try:
            unpack(reply["bundle"], Path(self.job.out_dir))
        except (tarfile.TarError, ValueError, OSError) as exc:
            self._fail("no se pudo leer lo que devolvió el corrector en Ray", exc)

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
