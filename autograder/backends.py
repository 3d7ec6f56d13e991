"""Where submissions are graded: the interface the batch loop uses, and the local process pool.

``grade_assignment`` asks a backend for its slots, starts one job per free slot, waits until
any job is done, kills a job past its deadline, and reads what the job left in its out dir
(``result.json``, ``notebooks/``, ``work/``...) once the handle was waited for. Only that loop
writes the gradebook, whatever the backend.

- ``LocalBackend`` (the default): a worker process per submission on this machine, with its
  GPU (``CUDA_VISIBLE_DEVICES``) or its share of the cores.
- ``autograder.ray_backend.RayBackend`` (``--backend ray``): one Ray task per submission on a
  cluster, or on a local Ray instance.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from .devices import DEFAULT_NEED_MB, Slot, detect_gpu_memory, detect_gpus, plan_slots
from .job import Job, write_job
from .processes import kill_tree

BACKENDS = ("local", "ray")


class Handle(Protocol):
    """One submission being graded."""

    job: Job
    slot: Slot
    deadline: float  # time.monotonic() past which the batch kills it
    killed: bool  # killed for its time: graded "timeout" unless it left a result

    def done(self) -> bool:
        """True once the job ended (or was killed)."""

    def kill(self) -> None:
        """Stop the job and everything it started; returns once it is stopped."""

    def wait(self) -> None:
        """Wait for the end; afterwards the job's out dir on this machine holds what it left."""


class Backend(Protocol):
    """Runs jobs on its slots; one job per slot at a time."""

    slots: list[Slot]
    slot_memory: int  # bytes of memory one slot may use (0: unknown)

    def start(self, job: Job, slot: Slot, deadline: float) -> Handle:
        """Start grading ``job`` on ``slot``; ``deadline`` is a ``time.monotonic()`` value."""

    def wait_any(self, handles: list[Handle], timeout: float) -> None:
        """Block until one of ``handles`` is done, or ``timeout`` seconds."""

    def close(self) -> None:
        """Release what the backend started."""


def memory_bytes() -> int:
    """This machine's physical memory (0 when unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def open_backend(name: str = "local", *, address: str | None = None, gpus: str = "auto", workers: int | None = None,
                 threads: int | None = None, per_gpu: int | None = None, need_mb: int = DEFAULT_NEED_MB) -> Backend:
    """The backend called ``name`` (``"local"`` or ``"ray"``), with its slots planned.

    ``per_gpu``: submissions sharing a GPU (default: from the GPU's memory and ``need_mb`` on
    this machine, see :mod:`autograder.devices`; 1 with Ray, whose nodes do not say their GPUs' memory)."""
    if name == "local":
        if address:
            raise ValueError("--address is for --backend ray")
        return LocalBackend(gpus=gpus, workers=workers, threads=threads, per_gpu=per_gpu, need_mb=need_mb)
    if name == "ray":
        from .ray_backend import RayBackend

        return RayBackend(address=address, gpus=gpus, workers=workers, threads=threads, per_gpu=per_gpu)
    raise ValueError(f"unknown backend {name!r}: choose {' or '.join(BACKENDS)}")


# -- the local process pool --------------------------------------------------------------------
class LocalBackend:
    """A worker process per submission on this machine (``devices.plan_slots`` decides the slots)."""

    def __init__(self, gpus: str = "auto", workers: int | None = None, threads: int | None = None,
                 per_gpu: int | None = None, need_mb: int = DEFAULT_NEED_MB):
        detected = [i for i, _ in detect_gpus()] if gpus != "none" else []
        memory = detect_gpu_memory() if detected else {}
        self.slots = plan_slots(gpus, detected, workers, threads=threads, per_gpu=per_gpu, gpu_memory=memory,
                                need_mb=need_mb)
        self.slot_memory = memory_bytes() // len(self.slots)

    def start(self, job: Job, slot: Slot, deadline: float) -> LocalRun:
        return LocalRun(job, slot, deadline)

    def wait_any(self, handles: list[Handle], timeout: float) -> None:
        sentinels = [h.sentinel for h in handles if isinstance(h, LocalRun) and h.sentinel is not None]
        if sentinels:
            multiprocessing.connection.wait(sentinels, timeout=timeout)
        else:
            time.sleep(min(timeout, 0.2))

    def close(self) -> None:
        pass


class LocalRun:
    """A worker process and the submission it grades."""

    def __init__(self, job: Job, slot: Slot, deadline: float):
        self.job, self.slot, self.deadline = job, slot, deadline
        self.killed = False
        job_file = write_job(job)
        if "fork" in multiprocessing.get_all_start_methods() and sys.platform.startswith("linux"):
            # A forked worker starts in milliseconds (nbgrader's imports are already loaded).
            self.process: Any = multiprocessing.get_context("fork").Process(target=_child, args=(str(job_file),))
            self.process.start()
            self.sentinel: Any = self.process.sentinel
        else:
            self.process = subprocess.Popen([sys.executable, "-m", "autograder.worker", str(job_file)],
                                            start_new_session=True)
            self.sentinel = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def done(self) -> bool:
        if self.sentinel is not None:
            return self.process.exitcode is not None
        return self.process.poll() is not None

    def kill(self) -> None:
        """Kill the worker, its kernel and anything they started."""
        self.killed = True
        kill_tree(self.pid, Path(self.job.out_dir) / "kernel.pid")
        self.wait()

    def wait(self) -> None:
        if self.sentinel is not None:
            self.process.join()
        else:
            self.process.wait()


def _child(job_file: str) -> None:
    os.setsid()  # its own process group: the parent can kill it with everything it started
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from .worker import main

    code = main(job_file)
    sys.stdout.flush()
    os._exit(code)
