"""A memory and process limit the Linux kernel enforces per submission: a child cgroup.

Where the grader is root and a cgroup hierarchy is writable (v2's unified hierarchy with the
``memory`` and ``pids`` controllers delegated, or v1's ``memory`` and ``pids`` hierarchies),
each submission's kernel runs in a cgroup of its own, made below the grader's own:

- ``memory.max`` / ``memory.limit_in_bytes``: past it the kernel's OOM killer stops a process of
  the submission; the watchdog sees the OOM event and ends the submission as ``memory``;
- ``pids.max``: processes and threads of the submission (a fork storm fails with ``EAGAIN``).

The kernel's command enters the cgroup before it runs (:meth:`Cgroup.wrap`: a shell that writes
its pid to ``cgroup.procs``, then execs), so nothing it forks escapes it. :meth:`Cgroup.remove`
kills what is left and removes the folder. Where no hierarchy is writable :func:`create` returns
``None`` and the watchdog samples the processes' memory instead (:mod:`autograder.processes`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "autograder-"
# Writes its own pid into each cgroup.procs given before "--", then runs the command.
ENTER = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 126; shift; done; shift; exec "$@"'


def _own_path(controller: str, root: Path = ROOT) -> Path | None:
    """This process's cgroup folder for ``controller`` (``""``: the v2 unified hierarchy)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if (controller == "" and names == "" and line.startswith("0::")) or controller in names.split(","):
            base = root if controller == "" else root / controller
            return base / path.lstrip("/")
    return None


@dataclass
class Cgroup:
    """A submission's cgroup: one folder (v2) or one per controller (v1)."""

    version: int
    folders: dict[str, Path] = field(default_factory=dict)  # controller ("memory", "pids", "" for v2) -> folder

    def _file(self, controller: str, name: str) -> Path:
        return self.folders["" if self.version == 2 else controller] / name

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` run from inside this cgroup."""
        procs = [str(folder / "cgroup.procs") for folder in self.folders.values()]
        return ["/bin/sh", "-c", ENTER, "cgroup-enter", *procs, "--", *argv]

    def add(self, pid: int) -> None:
        for folder in self.folders.values():
            (folder / "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        found: set[int] = set()
        for folder in self.folders.values():
            with contextlib.suppress(OSError, ValueError):
                found.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
        return sorted(found)

    def _read_int(self, controller: str, name: str, key: str | None = None) -> int:
        try:
            text = self._file(controller, name).read_text()
        except OSError:
            return 0
        if key is None:
            return int(text.split()[0]) if text.split() else 0
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == key:
                return int(parts[1])
        return 0

    def oom_kills(self) -> int:
        """How many processes the kernel's OOM killer stopped in this cgroup."""
        if self.version == 2:
            return self._read_int("memory", "memory.events", "oom_kill")
        return self._read_int("memory", "memory.oom_control", "oom_kill")

    def peak(self) -> int:
        """The most memory the cgroup held, in bytes (0 where the kernel does not say)."""
        if self.version == 2:
            return self._read_int("memory", "memory.peak") or self._read_int("memory", "memory.current")
        return self._read_int("memory", "memory.max_usage_in_bytes")

    def kill(self) -> None:
        """SIGKILL every process in the cgroup (v2's ``cgroup.kill`` where there is one)."""
        if self.version == 2:
            with contextlib.suppress(OSError):
                (self.folders[""] / "cgroup.kill").write_text("1")
        for _ in range(5):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    def remove(self) -> None:
        """Kill what is left, then remove the folders (the kernel refuses while a process lives)."""
        self.kill()
        for folder in self.folders.values():
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


def create(memory: int | None, pids: int | None, name: str = "", root: Path = ROOT) -> Cgroup | None:
    """A new cgroup with these limits, or ``None`` where the grader cannot make one (not root, no
    writable hierarchy, controllers not delegated)."""
    if os.geteuid() != 0 or os.environ.get("AUTOGRADER_NO_CGROUP"):
        return None
    leaf = f"{PREFIX}{name or os.getpid()}-{uuid.uuid4().hex[:8]}"
    group = _create_v2(leaf, memory, pids, root) if (root / "cgroup.controllers").exists() else \
        _create_v1(leaf, memory, pids, root)
    return group


def _create_v2(leaf: str, memory: int | None, pids: int | None, root: Path) -> Cgroup | None:
    parent = _own_path("", root)
    if parent is None:
        return None
    try:
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        if not {"memory", "pids"} <= set(enabled):
            # Only a cgroup with no process of its own may delegate: the root one, or one made for us.
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
        folder = parent / leaf
        folder.mkdir()
    except OSError:
        return None
    group = Cgroup(2, {"": folder})
    try:
        if memory:
            (folder / "memory.max").write_text(str(memory))
            with contextlib.suppress(OSError):
                (folder / "memory.swap.max").write_text("0")
        if pids:
            (folder / "pids.max").write_text(str(pids))
    except OSError:
        group.remove()
        return None
    return group


def _create_v1(leaf: str, memory: int | None, pids: int | None, root: Path) -> Cgroup | None:
    group = Cgroup(1)
    try:
        for controller, limits in (("memory", {"memory.limit_in_bytes": memory}), ("pids", {"pids.max": pids})):
            parent = _own_path(controller, root)
            if parent is None or not parent.is_dir():
                raise OSError(f"no {controller} hierarchy")
            folder = parent / leaf
            folder.mkdir()
            group.folders[controller] = folder
            for name, value in limits.items():
                if value:
                    (folder / name).write_text(str(value))
            if controller == "memory" and memory:  # and no swap beyond it, where swap is accounted
                with contextlib.suppress(OSError):
                    (folder / "memory.memsw.limit_in_bytes").write_text(str(memory))
    except OSError:
        group.remove()
        return None
    return group
