"""The watchdog: ends a submission past its wall clock, memory or disk, or when the batch died.

Memory is the kernel's business where a cgroup could be made (:mod:`autograder.cgroups`): the
watchdog only notices the OOM killer's work there and ends the submission as ``memory``.
Elsewhere it samples the memory of the kernel's whole process tree (:mod:`autograder.processes`).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from . import processes
from .cgroups import Cgroup
from .staging import tree_size


def kernel_pid(km: Any) -> int | None:
    """The pid of a jupyter_client kernel manager's kernel process."""
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    process = getattr(provisioner, "process", None)
    if pid is None and process is not None:
        pid = process.pid
    return pid


class Watchdog(threading.Thread):
    """Kills the running kernel past the deadline, the memory or the disk limit, or when the parent dies."""

    def __init__(self, deadline: float, memory_limit: int | None, pidfile: Path, disk_limit: int | None = None,
                 work: Path | None = None, files_limit: int | None = None, cgroup: Cgroup | None = None):
        super().__init__(daemon=True)
        self.deadline = deadline
        self.memory_limit = memory_limit
        self.disk_limit = disk_limit
        self.files_limit = files_limit
        self.work = work
        self.pidfile = pidfile
        self.cgroup = cgroup
        self.parent = os.getppid()
        self.kernel: int | None = None
        self.reason: str | None = None
        self.peak = 0
        self._halt = threading.Event()
        self._ooms = cgroup.oom_kills() if cgroup else 0

    def watch(self, pid: int | None) -> None:
        self.kernel = pid
        if pid is not None:
            self.pidfile.write_text(str(pid))  # the parent kills it too if it has to kill us
        if self.reason:
            self.kill(self.reason)

    def kill(self, reason: str) -> None:
        self.reason = self.reason or reason
        if self.kernel is not None:
            processes.kill_group(self.kernel)  # the kernel leads its own session
        if self.cgroup is not None:
            self.cgroup.kill()

    def out_of_memory(self) -> bool:
        """True (and the submission ended as ``memory``) once the cgroup's OOM killer acted."""
        if self.cgroup is not None and self.cgroup.oom_kills() > self._ooms:
            self.kill("memory")
        return self.reason == "memory"

    def run(self) -> None:
        ticks = 0
        while not self._halt.wait(0.25):
            ticks += 1
            if os.getppid() != self.parent:  # the batch was killed: leave nothing behind
                self.kill("error")
                os._exit(3)
            if time.monotonic() > self.deadline:
                self.kill("timeout")
            elif self.cgroup is not None:
                self.peak = max(self.peak, self.cgroup.peak())
                self.out_of_memory()
            elif self.memory_limit and self.kernel is not None:
                rss = processes.tree_memory(self.kernel, self.memory_limit)
                self.peak = max(self.peak, rss)
                if rss > self.memory_limit:
                    self.kill("memory")
            if (self.disk_limit or self.files_limit) and self.work is not None and self.kernel is not None \
                    and ticks % 8 == 0:
                count, size = tree_size(self.work, self.files_limit)
                if (self.disk_limit and size > self.disk_limit) or (self.files_limit and count > self.files_limit):
                    self.kill("disk")

    def stop(self) -> None:
        self._halt.set()
