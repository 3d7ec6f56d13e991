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
import hashlib
import os
import pwd
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Sequence

from jupyter_client.manager import AsyncKernelManager

from .cgroups import Cgroup
from .devices import CAP_ENV
from .processes import kill_user, tree_memory

MODES = ("auto", "bwrap", "none")
INSIDE_WORK = "/submission"
INSIDE_HOME = "/tmp/home"
KIT_INSIDE = "/run/course-kit"  # the kit's packages, where an editable install keeps them in a checkout
KIT_PACKAGES = ("course", "autograder")
# Frameworks' start-up chatter (TensorFlow's C++ log, gRPC) off: it is not the student's output.
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "GRPC_VERBOSITY": "ERROR", "GLOG_minloglevel": "2"}
UID_BASE = 61000  # uids 61000-61127: one per submission running at a time
UID_COUNT = 128
LOCK_DIR = Path("/tmp/autograder-uids")  # fixed, whatever TMPDIR says: every grader here must share it
# The environment the kernel may see; everything else (tokens, keys, paths) stays out.
ENV_KEEP = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONHASHSEED", "CUDA_VISIBLE_DEVICES",
            "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "LD_LIBRARY_PATH", "KERAS_BACKEND",
            "MPLBACKEND", "COURSE_FAST", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "PYTHONUNBUFFERED",
            *CAP_ENV)  # a shared GPU's memory cap (autograder.devices)
ENV_KEEP_PREFIXES = ("OMP_", "MKL_", "OPENBLAS_", "TF_NUM_", "XLA_")


@dataclass
class Limits:
    """Per-submission limits; ``None`` leaves one unset."""

    processes: int | None = 512  # processes and threads of the kernel's user (TensorFlow starts many)
    open_files: int | None = 1024
    file_size: int | None = 2 * 2**30  # bytes, one file
    disk: int | None = 4 * 2**30  # bytes, the whole working folder (checked by the watchdog), and a submission
    files: int | None = 5000  # files and folders in a submission, and in the working folder
    output: int | None = 8 * 2**20  # bytes of cell outputs per notebook (the rest is dropped)
    notebook: int | None = 16 * 2**20  # bytes of a submitted notebook, checked before it is read
    cells: int | None = 2000  # cells of a submitted notebook
    model: int | None = 512 * 2**20  # bytes of each file a threshold check loads (a model, its config)
    tmp: int = 512 * 2**20  # bytes of the kernel's /tmp (memory-backed)


@dataclass
class Sandbox:
    """What the worker needs to start a kernel in the sandbox (JSON-friendly, part of a Job)."""

    mode: str = "auto"
    limits: Limits = field(default_factory=Limits)
    hide: list[str] = field(default_factory=list)  # folders the kernel must not see (the course)
    data: list[str] = field(default_factory=list)  # extra read-only folders (datasets)
    forbid: list[str] = field(default_factory=list)  # kit names this assignment's kernels go without
    assignment: str = ""  # named in the message a forbidden name raises


def probe(bwrap: str | None = None) -> str | None:
    """``None`` when bubblewrap can build a sandbox here, else why not (one line)."""
    return _probe(bwrap or shutil.which("bwrap") or "")


@lru_cache(maxsize=None)
def _probe(bwrap: str) -> str | None:
    if not bwrap:
        return "bubblewrap (bwrap) is not installed"
    args = [bwrap, "--unshare-net", "--unshare-pid", "--die-with-parent",
            *(arg for _, op in _system_binds() for arg in op), "--proc", "/proc", "--dev", "/dev", "--", "true"]
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


# -- the command -------------------------------------------------------------------------------
def _system_binds() -> list[tuple[str, list[str]]]:
    """``(path inside, bwrap arguments)`` of the system folders."""
    ops = [("/usr", ["--ro-bind", "/usr", "/usr"])]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(name)
        if path.is_symlink():
            ops.append((name, ["--symlink", os.readlink(path), name]))
        elif path.is_dir():
            ops.append((name, ["--ro-bind", name, name]))
    return ops


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


def kit_binds(bound: list[Path], forbid: Sequence[str] = (), assignment: str = "") -> list[tuple[Path, str, Path]]:
    """``(copy, path inside, original)`` of the kit's packages that the sandbox must import from a copy.

    An editable install leaves them in a checkout, which is often the course itself: they are
    bound from a copy (see :func:`kit_copy`) at :data:`KIT_INSIDE`, first on the sandbox's
    ``PYTHONPATH``, so that not even ``/proc/self/mountinfo`` tells where the checkout is. With
    names to ``forbid``, ``course`` always comes from a restricted copy (:mod:`autograder.restrict`),
    and the caller hides the original wherever it is bound."""
    found = []
    for name in KIT_PACKAGES:
        folder = package_dir(name)
        if folder is None:
            continue
        restricted = list(forbid) if name == "course" else []
        if restricted or not _covered(folder, bound):
            found.append((kit_copy(folder, restricted, assignment), f"{KIT_INSIDE}/{name}", folder))
    return found


def restricted_kit(forbid: Sequence[str], assignment: str) -> Path:
    """A folder to put first on ``PYTHONPATH``: ``course`` without the names in ``forbid``."""
    folder = package_dir("course")
    if folder is None:
        raise RuntimeError("the course kit is not importable here")
    return kit_copy(folder, list(forbid), assignment).parent


def course_kit(course_root: str | Path, assignment: str) -> Path | None:
    """The kit the notebooks of ``assignment`` import when graded: :func:`restricted_kit` of the
    names its ``thresholds.toml`` forbids under ``course_root``; ``None`` when it forbids nothing."""
    from .thresholds import load_forbid

    forbid = load_forbid(course_root, assignment)
    return restricted_kit(forbid, assignment) if forbid else None


def kit_copy(folder: Path, forbid: Sequence[str] = (), assignment: str = "") -> Path:
    """A copy of a package folder under the temporary folder, named by a digest of its files
    (and of the names it goes without, see :func:`autograder.restrict.apply`).

    Shared by every grader on the machine and made once per version of the code (a new name
    when a file changes); the copy is made aside, then renamed into place."""
    files = sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)
    digest = hashlib.sha256(str(folder).encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    if forbid:
        from . import restrict

        digest.update(f"forbid\0{assignment}\0{sorted(forbid)}\0{restrict.HELPER_SOURCE}".encode())
    dest = Path(tempfile.gettempdir()) / f"autograder-kit-{digest.hexdigest()[:16]}" / folder.name
    if not dest.is_dir():
        dest.parent.mkdir(mode=0o755, exist_ok=True)
        aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=dest.parent))
        shutil.copytree(folder, aside, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.ipynb"))
        if forbid:
            from . import restrict

            try:
                restrict.apply(aside, list(forbid), assignment)
            except BaseException:
                shutil.rmtree(aside, ignore_errors=True)
                raise
        for path in [aside, *aside.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            os.rename(aside, dest)
        except OSError:  # another grader was first
            shutil.rmtree(aside, ignore_errors=True)
    return dest


def _covered(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def bwrap_command(argv: list[str], *, sandbox: Sandbox, uid: int | None, env: dict[str, str], gpu: bool,
                  binds: list[tuple[Path, str, bool]], chdir: str) -> list[str]:
    """The full command that runs ``argv`` in the sandbox.

    ``binds`` are ``(host path, path inside, writable)``: the kernel's working folder, say. Mounts
    are made shallowest first (bwrap applies them in order), so a folder bound below another
    mount, such as a virtual environment under ``/tmp``, is never hidden by it."""
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

    ops: list[tuple[int, int, list[str]]] = []

    def op(inside: str | Path, *args: str) -> None:
        ops.append((len(Path(inside).parts), len(ops), list(args)))

    for inside, args in _system_binds():
        op(inside, *args)
    # A /tmp the sandbox's user can write (sticky, like the host's), and a home inside it.
    op("/tmp", "--perms", "1777", "--size", str(limits.tmp), "--tmpfs", "/tmp")
    op(INSIDE_HOME, "--perms", "0777", "--dir", INSIDE_HOME)
    bound: list[Path] = [Path("/usr")]
    made: set[Path] = {Path("/tmp")}

    def bind(host: Path, inside: Path, writable: bool = False) -> None:
        # Parents are made 0755: bwrap would copy their mode (/root is 0700) and lock the user out.
        for parent in reversed(inside.parents[:-1]):
            if parent not in made and not _covered(parent, bound):
                op(parent, "--perms", "0755", "--dir", str(parent))
                made.add(parent)
        op(inside, "--bind" if writable else "--ro-bind", str(host), str(inside))
        bound.append(inside)

    for path in [Path("/etc"), *python_paths(), *(Path(p) for p in sandbox.data)]:
        path = path.resolve()
        if path.is_dir() and not _covered(path, bound):
            bind(path, path)
    kit = kit_binds(bound, sandbox.forbid, sandbox.assignment)
    for folder, inside, _ in kit:
        bind(folder, Path(inside))
    # The original of a package bound from a restricted copy: an empty folder over it, so that the
    # names it lacks cannot be read back from the original's files.
    for _, _, original in kit:
        if _covered(original, bound):
            op(original, "--tmpfs", str(original))
    # A bound folder that holds the course (a course inside a venv, say): an empty folder over it.
    for hidden in sandbox.hide:
        path = Path(hidden).resolve()
        if _covered(path, bound):
            op(path, "--tmpfs", str(path))
    op("/proc", "--proc", "/proc")
    op("/dev", "--dev", "/dev")
    op("/sys", "--ro-bind-try", "/sys", "/sys")
    if gpu:
        for dev in sorted(Path("/dev").glob("nvidia*")):
            op(dev, "--dev-bind", str(dev), str(dev))
    for host, inside, writable in binds:
        bind(host, Path(inside), writable)
    for _, _, args in sorted(ops):
        cmd += args
    cmd += ["--chdir", chdir, "--clearenv"]
    inner = sandbox_env(env)
    if kit:
        inner["PYTHONPATH"] = KIT_INSIDE
    for key, text in sorted(inner.items()):
        cmd += ["--setenv", key, text]
    if uid is not None:
        setpriv = shutil.which("setpriv") or "setpriv"
        cmd += ["--", setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs"]
    cmd += ["--", *argv] if uid is None else argv
    return cmd


def sandbox_env(env: dict[str, str]) -> dict[str, str]:
    """The kernel's environment: the allow-list, the course's own variables, a private home, and
    the frameworks' start-up logs silenced (the feedback shows what the student's code printed)."""
    kept = {k: v for k, v in env.items() if k in ENV_KEEP or k.startswith(ENV_KEEP_PREFIXES)}
    kept["PATH"] = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
    kept.update(HOME=INSIDE_HOME, TMPDIR="/tmp", MPLCONFIGDIR="/tmp/matplotlib", IPYTHONDIR="/tmp/ipython",
                KERAS_HOME="/tmp/keras", XDG_CACHE_HOME="/tmp/cache", XDG_CONFIG_HOME="/tmp/config",
                JUPYTER_RUNTIME_DIR="/tmp/jupyter", JUPYTER_DATA_DIR="/tmp/jupyter-data", **QUIET_ENV)
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


def unreadable(sandbox: Sandbox) -> list[str]:
    """Bound folders that the sandbox's unprivileged user cannot enter (a venv made in a
    ``mktemp -d`` folder is mode 0700): every import from them would fail in the sandbox."""
    bound = [Path("/usr"), Path("/etc"), *python_paths(), *(Path(p).resolve() for p in sandbox.data)]
    problems = []
    for path in bound:
        for folder in [path, *path.parents]:
            if not _covered(folder, bound):
                break
            try:
                mode = folder.stat().st_mode
            except OSError:
                continue
            if mode & 0o005 != 0o005:
                problems.append(f"{folder} (mode {mode & 0o777:o})")
    return sorted(set(problems))


def dataset_dirs() -> list[str]:
    """Where the kit finds datasets besides its cache (Debian's folders, say): hidden from a
    sandbox that must not read labels."""
    from course.datasets.registry import DATASETS

    dirs = {Path(d).expanduser() for entry in DATASETS.values() if entry.idx for d in entry.idx.system_dirs}
    return sorted(str(d.resolve()) for d in dirs if d.is_dir())


# -- a program in the sandbox (the threshold evaluator) ------------------------------------------
@dataclass
class Finished:
    """How a contained program ended: its exit code, the start of its output, and why it was killed."""

    returncode: int | None
    stdout: str
    stderr: str
    killed: str | None = None  # "timeout" or "memory"
    peak_memory: int = 0


def _read_head(path: Path, limit: int) -> str:
    with open(path, "rb") as fh:
        return fh.read(limit).decode("utf-8", "replace")


def run_contained(argv: list[str], *, sandbox: Sandbox | None, scratch: Path, env: dict[str, str],
                  binds: list[tuple[Path, str, bool]], chdir: str, timeout: float, memory_limit: int | None,
                  gpu: bool = False, output_limit: int = 64 * 2**10) -> Finished:
    """Run ``argv`` in the sandbox (or, without one, under the same limits in ``scratch``).

    Its own uid, no network, only ``binds`` and a private ``/tmp`` writable; killed past
    ``timeout`` seconds or ``memory_limit`` bytes (the whole process tree). Its output goes to
    files of ours, of which at most ``output_limit`` bytes each are read back."""
    scratch.mkdir(parents=True, exist_ok=True)
    out_path, err_path = scratch / "stdout", scratch / "stderr"
    with (sandbox_user() if sandbox else contextlib.nullcontext(None)) as uid:
        if sandbox is not None:
            for host, _, writable in binds:
                if writable:
                    own_tree(host, uid)
            cmd = bwrap_command(argv, sandbox=sandbox, uid=uid, env=env, gpu=gpu, binds=binds, chdir=chdir)
            cwd, child_env = None, None
        else:  # no sandbox: the same program, environment and limits, in a folder of its own
            home = scratch / "home"
            home.mkdir(exist_ok=True)
            cmd, cwd = argv, str(scratch)
            child_env = {k: (str(home) + v[len("/tmp"):] if v.startswith("/tmp") else v)
                         for k, v in sandbox_env(env).items()}
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd, env=child_env,
                                    start_new_session=True)
        deadline = time.monotonic() + timeout
        killed, peak = None, 0
        while proc.poll() is None:
            if time.monotonic() > deadline:
                killed = "timeout"
            elif memory_limit:
                used = tree_memory(proc.pid, memory_limit)
                peak = max(peak, used)
                if used > memory_limit:
                    killed = "memory"
            if killed:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, 9)
                if uid is not None:
                    kill_user(uid)
                proc.wait()
                break
            time.sleep(0.1)
    return Finished(proc.returncode, _read_head(out_path, output_limit), _read_head(err_path, output_limit),
                    killed, peak)


class GraderKernelManager(AsyncKernelManager):
    """The grader's kernels: this Python's ipykernel, in the sandbox when there is one.

    The kernel command is always ``sys.executable -m ipykernel_launcher``, whatever kernelspec
    named ``python3`` a user folder holds (a stale one can point at a deleted environment): the
    grader's own environment, checked by the preflight, is the one that runs student code."""

    sandbox: Sandbox | None = None
    work: Path | None = None
    uid: int | None = None
    gpu: bool = False
    ipc_dir: Path | None = None

    cgroup: Cgroup | None = None

    def setup(self, sandbox: Sandbox | None, work: Path, uid: int | None, gpu: bool,
              cgroup: Cgroup | None = None) -> None:
        self.sandbox, self.work, self.uid, self.gpu, self.cgroup = sandbox, work, uid, gpu, cgroup
        if sandbox is None:
            return
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
        if spec is not None and spec.language == "python":
            spec.argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
            if self.sandbox is not None:  # SIGINT cannot cross into the sandbox's session: ask the kernel
                spec.interrupt_mode = "message"
        return spec

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        if self.uid is not None:
            os.chown(self.connection_file, self.uid, self.uid)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv = super().format_kernel_cmd(extra_arguments)
        if self.sandbox is not None and self.work is not None and self.ipc_dir is not None:
            argv = bwrap_command(argv, sandbox=self.sandbox, uid=self.uid, env=dict(os.environ), gpu=self.gpu,
                                 binds=[(self.work, INSIDE_WORK, True), (self.ipc_dir, str(self.ipc_dir), True)],
                                 chdir=INSIDE_WORK)
        return self.cgroup.wrap(argv) if self.cgroup is not None else argv  # enters it before anything runs

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
