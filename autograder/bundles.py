"""Bundles: a job's inputs and its out dir as tar archives, for a backend with no shared filesystem.

The driver sends :func:`pack_inputs` (the submission, the source's other files, the job's
gradebook copy) with the job; on the node :func:`run_job` unpacks it in a temporary folder,
runs ``python -m autograder.worker`` there in its own session, kills it and its kernel past the
deadline, and returns the out dir as a tar (:func:`pack_folder`), which the driver unpacks
(:func:`unpack`) into the job's out dir: the batch then records it as a local one. Only regular
files travel; nothing unpacked may land or point outside its folder.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from .job import Job
from .processes import kill_tree
from .staging import support_files, walk_files

MAX_BUNDLE = 512 * 2**20  # bytes of out dir a task may send back
SQLITE = "sqlite:///"


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
            raise RuntimeError(f"the gradebook {db} is not in the job's out dir: a remote task cannot read it") from None
    if job.get("sandbox"):
        local["sandbox"] = {**job["sandbox"], "hide": [str(root)], "data": list(data or [])}
    return local


# -- on the node ---------------------------------------------------------------------------------
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
