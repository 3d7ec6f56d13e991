"""Processes of a submission, through psutil: their memory, and killing them all.

A kernel leads its own session; in the sandbox its pid namespace's init is a child of bwrap, so
the kernel's process group and every descendant of it hold everything the student started,
double-forked processes included. As root, every process of the sandbox's uid is the student's.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import psutil

GONE = (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, ProcessLookupError, PermissionError)


def tree(root: int) -> list[psutil.Process]:
    """``root``, the processes of its process group, and all their descendants."""
    found: dict[int, psutil.Process] = {}
    tops = []
    with contextlib.suppress(*GONE):
        tops.append(psutil.Process(root))
    for proc in psutil.process_iter():
        with contextlib.suppress(*GONE):
            if proc.pid != root and os.getpgid(proc.pid) == root:
                tops.append(proc)
    for top in tops:
        found.setdefault(top.pid, top)
        with contextlib.suppress(*GONE):
            for child in top.children(recursive=True):
                found.setdefault(child.pid, child)
    return list(found.values())


def tree_memory(root: int, limit: int | None = None) -> int:
    """Resident bytes of :func:`tree` ``(root)``.

    Resident sizes count the pages that forked processes share once per process; past ``limit``
    the sum is taken again with proportional sizes (PSS), which count a shared page once."""
    procs = tree(root)
    rss: dict[int, int] = {}
    for proc in procs:
        with contextlib.suppress(*GONE):
            rss[proc.pid] = proc.memory_info().rss
    total = sum(rss.values())
    if limit is None or total <= limit:
        return total
    pss = 0
    for proc in procs:
        if proc.pid not in rss:
            continue
        try:
            pss += proc.memory_full_info().pss
        except (*GONE, AttributeError):
            pss += rss[proc.pid]
    return pss


def kill_group(pid: int) -> None:
    """SIGKILL a process group (a kernel leads its own session), or the process if it leads none."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


def kill_tree(pid: int, pidfile: Path | None = None) -> None:
    """SIGKILL a worker, its kernel (whose pid is in ``pidfile``), their groups and descendants."""
    pids = [pid]
    if pidfile is not None and pidfile.exists():
        with contextlib.suppress(ValueError, OSError):
            pids.append(int(pidfile.read_text()))
    procs = [proc for target in pids for proc in tree(target)]
    for target in pids:
        kill_group(target)
    for proc in procs:
        with contextlib.suppress(*GONE):
            proc.kill()


def kill_user(uid: int) -> int:
    """SIGKILL every process whose real or effective uid is ``uid``; how many there were."""
    killed = 0
    for _ in range(5):  # a process storm may fork while we kill: sweep until none is left
        procs = []
        for proc in psutil.process_iter(["uids"]):
            uids = proc.info.get("uids")
            if uids is not None and uid in (uids.real, uids.effective):
                procs.append(proc)
        if not procs:
            break
        for proc in procs:
            with contextlib.suppress(*GONE):
                proc.kill()
                killed += 1
    return killed
