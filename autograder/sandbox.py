"""The sandbox a student's kernel runs in: bubblewrap, its own network, an unprivileged user, limits.

The worker process (trusted: it reads the gradebook and the source) stays outside; only the
kernel, which runs the student's code, goes in. The kernel is started as::

    prlimit --nproc=... --nofile=... --fsize=... --core=0 --
      bwrap --unshare-net --unshare-pid --unshare-ipc --unshare-uts --die-with-parent --new-session
            --clearenv --setenv ... (an allow-list: no tokens or keys of the grader's environment)
            --ro-bind /usr /usr ... (the system, the Python environment, the course package, the data)
            --tmpfs /tmp --bind WORK /submission --bind IPC IPC --chdir /submission
            [setpriv --reuid=UID --regid=UID --clear-groups --inh-caps=-all --bounding-set=-all --]
            python -m ipykernel_launcher -f IPC/kernel.json

- **Network:** a namespace of its own, with only its own loopback; the kernel talks to the worker
  through Unix sockets in ``IPC`` (ZeroMQ's ``ipc`` transport), which need no network.
- **Files:** a fresh root that holds only what the kernel needs, read-only, plus its own working
  folder (a copy of the submission) and a small ``/tmp``. The course folder (``source/``, the
  gradebook, ``submitted/``, ``autograded/``) is not in it, even when a bound folder contains it.
- **User:** when the grader is root, the kernel runs as an unused uid of its own (one per running
  submission, taken with a lock file), so it cannot read root's files, signal the grader or share
  a process limit with another submission. Without root, bubblewrap uses a user namespace and
  the kernel runs as the grader's user (no process limit then: it would count the grader's own).
- **Limits:** processes (threads count too), open files, size of one file, no core dumps; the
  worker's watchdog adds memory, disk (the working folder), output size and wall clock.

Where bubblewrap cannot run (no ``bwrap``, or neither root nor user namespaces), ``mode="auto"``
grades without the sandbox and says so; ``mode="bwrap"`` refuses to grade.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from jupyter_client.manager import AsyncKernelManager

MODES = ("auto", "bwrap", "none")
INSIDE_WORK = "/submission"
INSIDE_HOME = "/tmp/home"
UID_BASE = 61000  # uids 61000-61127: one per submission running at a time
UID_COUNT = 128
LOCK_DIR = Path("/tmp/autograder-uids")  # fixed, whatever TMPDIR says: every grader here must share it
# The environment the kernel may see; everything else (tokens, keys, paths) stays out.
ENV_KEEP = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONHASHSEED", "CUDA_VISIBLE_DEVICES",
            "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "LD_LIBRARY_PATH", "KERAS_BACKEND",
            "MPLBACKEND", "COURSE_FAST", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "PYTHONUNBUFFERED")
ENV_KEEP_PREFIXES = ("OMP_", "MKL_", "OPENBLAS_", "TF_NUM_", "XLA_")


@dataclass
class Limits:
    """Per-submission limits; ``None`` leaves one unset."""

    processes: int | None = 512  # processes and threads of the kernel's user (TensorFlow starts many)
    open_files: int | None = 1024
    file_size: int | None = 2 * 2**30  # bytes, one file
    disk: int | None = 4 * 2**30  # bytes, the whole working folder (checked by the watchdog)
    output: int | None = 8 * 2**20  # bytes of cell outputs per notebook (the rest is dropped)
    tmp: int = 512 * 2**20  # bytes of the kernel's /tmp (memory-backed)


@dataclass
class Sandbox:
    """What the worker needs to start a kernel in the sandbox (JSON-friendly, part of a Job)."""

    mode: str = "auto"
    limits: Limits = field(default_factory=Limits)
    hide: list[str] = field(default_factory=list)  # folders the kernel must not see (the course)
    data: list[str] = field(default_factory=list)  # extra read-only folders (datasets)


def probe(bwrap: str | None = None) -> str | None:
    """``None`` when bubblewrap can build a sandbox here, else why not (one line)."""
    return _probe(bwrap or shutil.which("bwrap") or "")


@lru_cache(maxsize=None)
def _probe(bwrap: str) -> str | None:
    if not bwrap:
        return "bubblewrap (bwrap) is not installed"
    args = [bwrap, "--unshare-net", "--unshare-pid", "--die-with-parent", *_system_binds(), "--proc", "/proc",
            "--dev", "/dev", "--", "true"]
    if os.geteuid() != 0:
        args[1:1] = ["--unshare-user"]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap failed to start: {exc}"
    if done.returncode != 0:
        return f"bwrap cannot create namespaces here: {done.stderr.strip() or done.returncode}"
    return None


def resolve_mode(mode: str) -> tuple[str, str | None]:
    """``("bwrap" | "none", warning)`` for a requested mode; raises if ``bwrap`` is required but unusable."""
    if mode not in MODES:
        raise ValueError(f"sandbox mode must be one of {MODES}, not {mode!r}")
    if mode == "none":
        return "none", "student code runs WITHOUT a sandbox (--sandbox none)"
    reason = probe()
    if reason is None:
        return "bwrap", None
    if mode == "bwrap":
        raise RuntimeError(f"--sandbox bwrap: {reason}")
    return "none", f"student code runs WITHOUT a sandbox: {reason}"


# -- the user ----------------------------------------------------------------------------------
@contextlib.contextmanager
def sandbox_user() -> Iterator[int | None]:
    """A uid no one else uses while the block runs (root only; ``None`` otherwise)."""
    if os.geteuid() != 0:
        yield None
        return
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    for uid in range(UID_BASE, UID_BASE + UID_COUNT):
        with contextlib.suppress(KeyError):
            pwd.getpwuid(uid)
            continue  # a real account: not ours
        fh = open(LOCK_DIR / f"{uid}.lock", "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            continue
        try:
            kill_user(uid)  # whatever an earlier, killed batch left behind
            yield uid
        finally:
            kill_user(uid)
            fh.close()
        return
    raise RuntimeError(f"all {UID_COUNT} sandbox uids are in use")


def kill_user(uid: int) -> int:
    """SIGKILL every process whose real uid is ``uid``; how many there were."""
    killed = 0
    for _ in range(5):  # a process storm may fork while we kill: sweep until none is left
        pids = [pid for pid, info in _processes().items() if info[3] == uid]
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, 9)
                killed += 1
    return killed


def _processes() -> dict[int, tuple[int, int, int, int]]:
    """``{pid: (ppid, pgrp, rss_pages, uid)}`` from ``/proc`` (empty where it is missing)."""
    table = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return table
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            uid = os.stat(f"/proc/{entry}").st_uid
        except (OSError, IndexError):
            continue
        table[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[21]), uid)
    return table


def tree_memory(root: int, limit: int | None = None) -> int:
    """Resident bytes of ``root``, its process group, and every descendant (the whole sandbox:
    its pid namespace's init is a child of bwrap, so even double-forked processes are counted).

    Resident sizes count the pages that forked processes share once per process; past ``limit``
    the sum is taken again with proportional sizes (PSS), which count a shared page once."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    seen = {pid for pid, info in table.items() if info[1] == root}
    stack = [root, *seen]
    while stack:
        pid = stack.pop()
        if pid in table:
            seen.add(pid)
        for child in children.get(pid, []):
            if child not in seen:
                stack.append(child)
    page = os.sysconf("SC_PAGE_SIZE")
    rss = sum(table[pid][2] for pid in seen) * page
    if limit is None or rss <= limit:
        return rss
    return sum(_pss(pid, table[pid][2] * page) for pid in seen)


def _pss(pid: int, fallback: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return fallback


# -- the command -------------------------------------------------------------------------------
def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    return args


def python_paths() -> list[Path]:
    """Folders the kernel's Python needs: its prefixes and site-packages (resolved)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(), sysconfig.get_path("stdlib")}
    if site.ENABLE_USER_SITE and site.getusersitepackages() and Path(site.getusersitepackages()).is_dir():
        paths.add(site.getusersitepackages())
    paths.add(str(Path(sys.executable).resolve().parent.parent))
    return sorted({Path(p).resolve() for p in paths if p and Path(p).exists()})


def package_dir(name: str) -> Path | None:
    """Where an importable package lives (an editable install points into a checkout)."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def _covered(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def bwrap_command(argv: list[str], *, work: Path, ipc: Path, sandbox: Sandbox, uid: int | None,
                  env: dict[str, str], gpu: bool) -> list[str]:
    """The full command that runs ``argv`` (the kernel) in the sandbox."""
    limits = sandbox.limits
    bwrap = shutil.which("bwrap") or "bwrap"
    cmd: list[str] = []
    prlimit = shutil.which("prlimit")
    if prlimit:
        cmd += [prlimit, "--core=0"]
        for flag, value in (("--nofile", limits.open_files), ("--fsize", limits.file_size),
                            ("--nproc", limits.processes if uid is not None else None)):
            if value:
                cmd.append(f"{flag}={value}")
        cmd.append("--")
    cmd += [bwrap, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if uid is None:
        cmd.append("--unshare-user")
    cmd += _system_binds()
    bound: list[Path] = [Path("/usr")]
    made: set[Path] = set()

    def bind(path: Path) -> None:
        # Parents are made 0755: bwrap would copy their mode (/root is 0700) and lock the user out.
        for parent in reversed(path.parents[:-1]):
            if parent not in made and not _covered(parent, bound):
                cmd.extend(["--perms", "0755", "--dir", str(parent)])
                made.add(parent)
        cmd.extend(["--ro-bind", str(path), str(path)])
        bound.append(path)

    for path in [Path("/etc"), *python_paths(), *(Path(p) for p in sandbox.data)]:
        path = path.resolve()
        if path.is_dir() and not _covered(path, bound):
            bind(path)
    course = package_dir("course")
    if course is not None and not _covered(course, bound):
        bind(course)
    # A bound folder that holds the course (a course inside a venv, say): an empty folder over it.
    for hidden in sandbox.hide:
        path = Path(hidden).resolve()
        if _covered(path, bound):
            cmd += ["--tmpfs", str(path)]
            if course is not None and path in course.parents:
                cmd += ["--ro-bind", str(course), str(course)]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--ro-bind-try", "/sys", "/sys"]
    if gpu:
        for dev in sorted(Path("/dev").glob("nvidia*")):
            cmd += ["--dev-bind", str(dev), str(dev)]
    cmd += ["--size", str(limits.tmp), "--tmpfs", "/tmp", "--dir", INSIDE_HOME]
    cmd += ["--bind", str(work), INSIDE_WORK, "--bind", str(ipc), str(ipc), "--chdir", INSIDE_WORK]
    cmd += ["--clearenv"]
    for key, value in sorted(sandbox_env(env).items()):
        cmd += ["--setenv", key, value]
    if uid is not None:
        setpriv = shutil.which("setpriv") or "setpriv"
        cmd += ["--", setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs"]
    cmd += ["--", *argv] if uid is None else argv
    return cmd


def sandbox_env(env: dict[str, str]) -> dict[str, str]:
    """The kernel's environment: the allow-list, the course's own variables, and a private home."""
    kept = {k: v for k, v in env.items() if k in ENV_KEEP or k.startswith(ENV_KEEP_PREFIXES)}
    kept["PATH"] = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
    kept.update(HOME=INSIDE_HOME, TMPDIR="/tmp", MPLCONFIGDIR="/tmp/matplotlib", IPYTHONDIR="/tmp/ipython",
                KERAS_HOME="/tmp/keras", XDG_CACHE_HOME="/tmp/cache", JUPYTER_RUNTIME_DIR="/tmp/jupyter")
    from course.datasets.store import ENV_CACHE_DIR, ENV_DATA_DIR, cache_dir

    cache = cache_dir()
    kept[ENV_CACHE_DIR] = str(cache.resolve()) if cache.is_dir() else "/tmp/course-cache"
    if env.get(ENV_DATA_DIR):
        kept[ENV_DATA_DIR] = env[ENV_DATA_DIR]
    return kept


def data_dirs(env: dict[str, str]) -> list[str]:
    """Read-only folders with the grader's data: the array cache and ``$COURSE_DATA_DIR``."""
    from course.datasets.store import ENV_DATA_DIR, cache_dir

    dirs = [cache_dir()]
    if env.get(ENV_DATA_DIR):
        dirs.append(Path(env[ENV_DATA_DIR]).expanduser())
    return [str(d.resolve()) for d in dirs if d.is_dir()]


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in the sandbox and talks over Unix sockets."""

    sandbox: Sandbox
    work: Path
    uid: int | None = None
    gpu: bool = False
    ipc_dir: Path | None = None

    def setup(self, sandbox: Sandbox, work: Path, uid: int | None, gpu: bool) -> None:
        self.sandbox, self.work, self.uid, self.gpu = sandbox, work, uid, gpu
        # Short: a Unix socket path holds at most 107 bytes.
        self.ipc_dir = Path(tempfile.mkdtemp(prefix="ag-", dir="/tmp"))
        self.transport = "ipc"
        self.ip = str(self.ipc_dir / "k")
        self.connection_file = str(self.ipc_dir / "kernel.json")
        if uid is not None:
            os.chown(self.ipc_dir, uid, uid)

    @property
    def kernel_spec(self) -> Any:
        spec = super().kernel_spec
        if spec is not None:  # SIGINT cannot cross into the sandbox's session: ask the kernel instead
            spec.interrupt_mode = "message"
        return spec

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        if self.uid is not None:
            os.chown(self.connection_file, self.uid, self.uid)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv = super().format_kernel_cmd(extra_arguments)
        return bwrap_command(argv, work=self.work, ipc=self.ipc_dir, sandbox=self.sandbox, uid=self.uid,
                             env=dict(os.environ), gpu=self.gpu)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if self.ipc_dir is not None and not restart:
            shutil.rmtree(self.ipc_dir, ignore_errors=True)


def own_tree(path: Path, uid: int | None) -> None:
    """Give the working folder to the sandbox's user (no-op without one)."""
    if uid is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, uid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, uid, follow_symlinks=False)
