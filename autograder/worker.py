"""Grade one submission, in its own process with its own kernel; the gradebook is not touched.

The worker checks the submission's bounds, copies it to a private folder, runs nbgrader's
sanitizing preprocessors on each notebook (clear outputs, restore the kernelspec, restore the
test cells from the source: students cannot edit or delete them), executes it with nbgrader's
``Execute`` (per-cell timeout) in a sandboxed kernel after seeding it, and scores the grade
cells. A watchdog thread kills the kernel past the submission's wall clock, memory or disk.
Once every process of the student's is gone, only plain files are left in the working folder,
and threshold checks measure the saved models (a checked copy, loaded in the sandbox; the
metric computed here). The parent process writes everything it returns to the gradebook.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import stat
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Iterator

import nbformat
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds, Execute, LimitOutput,
                                    OverwriteCells, OverwriteKernelspec)
from traitlets import Integer
from traitlets.config import Config

from . import sandbox as sbx
from . import restrict, scoring, thresholds
from .course import nbgrader_logger
from .seeding import seed_code

# Worst first: the status of a submission is the worst status of its notebooks.
STATUS_ORDER = ("error", "timeout", "memory", "disk", "crashed", "oversize", "invalid", "tampered", "ok")
HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"


@dataclass
class Job:
    """Everything a worker needs; it is written to ``out_dir/job.json`` too."""

    course_root: str
    course_id: str
    assignment: str
    student: str
    submission_dir: str
    source_dir: str
    notebooks: list[str]
    db_url: str
    out_dir: str
    cell_timeout: int = 600
    timeout: float = 1800
    memory_limit: int | None = None  # bytes for the kernel and its children
    seed: int = 42
    env: dict[str, str] = field(default_factory=dict)
    device: str = "cpu"
    checks: list[dict[str, Any]] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    exclude_overwriting: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""  # of the submitted files, for resuming
    sandbox: dict[str, Any] = field(default_factory=dict)  # a sandbox.Sandbox; {} or mode "none": no sandbox
    forbid: list[str] = field(default_factory=list)  # kit names the kernels go without (autograder.restrict)

    def limits(self) -> sbx.Limits:
        """Disk and output limits apply with or without the sandbox."""
        return sbx.Limits(**self.sandbox.get("limits", {}))

    def sandbox_spec(self) -> sbx.Sandbox | None:
        if not self.sandbox or self.sandbox.get("mode", "none") == "none":
            return None
        return sbx.Sandbox(**{**self.sandbox, "limits": self.limits(), "forbid": self.forbid,
                              "assignment": self.assignment})


def kernel_pid(km: Any) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if pid is None and getattr(provisioner, "process", None) is not None:
        pid = provisioner.process.pid
    return pid


def tree_size(path: Path, stop: int | None = None) -> tuple[int, int]:
    """``(entries, bytes)`` under ``path`` (symlinks not followed); stops counting past ``stop`` entries."""
    total = count = 0
    for root, dirs, files in os.walk(path):
        count += len(dirs) + len(files)
        if stop is not None and count > stop:
            break
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return count, total


class Watchdog(threading.Thread):
    """Kills the running kernel past the deadline, the memory or the disk limit, or when the parent dies."""

    def __init__(self, deadline: float, memory_limit: int | None, pidfile: Path, disk_limit: int | None = None,
                 work: Path | None = None, files_limit: int | None = None):
        super().__init__(daemon=True)
        self.deadline = deadline
        self.memory_limit = memory_limit
        self.disk_limit = disk_limit
        self.files_limit = files_limit
        self.work = work
        self.pidfile = pidfile
        self.parent = os.getppid()
        self.kernel: int | None = None
        self.reason: str | None = None
        self.peak = 0
        self._halt = threading.Event()

    def watch(self, pid: int | None) -> None:
        self.kernel = pid
        if pid is not None:
            self.pidfile.write_text(str(pid))  # the parent kills it too if it has to kill us
        if self.reason:
            self.kill(self.reason)

    def kill(self, reason: str) -> None:
        self.reason = self.reason or reason
        if self.kernel is not None:
            try:
                os.killpg(self.kernel, signal.SIGKILL)  # the kernel leads its own session
            except (ProcessLookupError, PermissionError):
                pass

    def run(self) -> None:
        ticks = 0
        while not self._halt.wait(0.25):
            ticks += 1
            if os.getppid() != self.parent:  # the batch was killed: leave nothing behind
                self.kill("error")
                os._exit(3)
            if time.monotonic() > self.deadline:
                self.kill("timeout")
            elif self.memory_limit and self.kernel is not None:
                rss = sbx.tree_memory(self.kernel, self.memory_limit)
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


class GradingExecute(Execute):
    """nbgrader's ``Execute``, which reports its kernel to the watchdog and seeds it first."""

    seed = Integer(42).tag(config=True)

    def __init__(self, watchdog: Watchdog | None = None, kernel_log: Path | None = None,
                 sandbox: sbx.Sandbox | None = None, uid: int | None = None, gpu: bool = False,
                 output_limit: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.watchdog = watchdog
        self.kernel_log = kernel_log
        self.sandbox, self.uid, self.gpu = sandbox, uid, gpu
        self.output_limit = output_limit
        self.output_bytes = 0
        self.truncated = False
        self.hidden_errors: list[int] = []
        self.executed: set[int] = set()
        self.started: set[int] = set()  # code cells sent to the kernel

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any], index: int) -> Any:
        if cell.cell_type == "code" and cell.source.strip():
            self.started.add(index)
        return super().preprocess_cell(cell, resources, index)

    def create_kernel_manager(self) -> Any:
        self.kernel_manager_class = sbx.GraderKernelManager
        km = super().create_kernel_manager()
        km.setup(self.sandbox, Path(self.resources["metadata"]["path"]), self.uid, self.gpu)
        return km

    async def async_start_new_kernel(self, **kwargs: Any) -> None:
        if self.kernel_log is not None:  # the kernel process's own output, not the cells'
            log = open(self.kernel_log, "ab")
            kwargs.setdefault("stdout", log)
            kwargs.setdefault("stderr", log)
        await super().async_start_new_kernel(**kwargs)
        if self.watchdog is not None:
            self.watchdog.watch(kernel_pid(self.km))

    start_new_kernel = run_sync(async_start_new_kernel)

    async def async_start_new_kernel_client(self) -> Any:
        kc = await super().async_start_new_kernel_client()
        msg_id = await ensure_async(kc.execute(seed_code(self.seed), silent=True, store_history=False))
        reply = await self.async_wait_for_reply(msg_id)
        if reply is None or reply["content"].get("status") != "ok":
            self.log.warning("Seeding the kernel failed: %s", reply and reply["content"].get("evalue"))
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def on_cell_executed(self, **kwargs: Any) -> None:
        # The kernel's reply says the cell failed, but no error was shown (``showtraceback`` replaced,
        # say): nbgrader's ``Execute`` records the failure; we note it for the report.
        reply = (kwargs.get("execute_reply") or {}).get("content", {})
        if reply.get("status") == "error" and not any(o.get("output_type") == "error" for o in kwargs["cell"].outputs):
            self.hidden_errors.append(kwargs["cell_index"])
        super().on_cell_executed(**kwargs)
        self.executed.add(kwargs["cell_index"])

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        """Keep outputs up to ``output_limit`` bytes per notebook; drop the rest, with a note."""
        if self.output_limit is not None:
            size = _content_size(msg.get("content", {}))
            if self.output_bytes + size > self.output_limit:
                if not self.truncated:
                    self.truncated = True
                    note = nbformat.v4.new_output(
                        "stream", name="stdout",
                        text=f"\n[salida truncada: la libreta superó {self.output_limit / 2**20:g} MiB de salida]\n")
                    outs.append(note)
                return None
            self.output_bytes += size
        return super().output(outs, msg, display_id, cell_index)


def _content_size(content: dict[str, Any]) -> int:
    """Rough bytes of an output message's payload."""
    size = len(content.get("text", "")) + sum(len(line) for line in content.get("traceback", []))
    for value in (content.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(json.dumps(value))
    return size


class TooLarge(Exception):
    """A submission past one of the grader's bounds; the message says which, in Spanish."""


def walk_files(src: Path, ignore: list[str], limit: int | None = None) -> Iterator[tuple[Path, bool]]:
    """``(relative path, is_symlink)`` of the regular files and symlinks under ``src``, sorted;
    symlinked folders are listed, never entered. Past ``limit`` entries (files and folders,
    ignored ones too) it raises :class:`TooLarge` instead of walking on."""
    seen = 0
    for root, dirs, files in os.walk(src):
        seen += len(dirs) + len(files)
        if limit is not None and seen > limit:
            raise TooLarge(f"más de {limit} archivos y carpetas")
        base = Path(root)
        dirs[:] = sorted(d for d in dirs if not any(fnmatch(d, p) for p in ignore))
        links = [d for d in dirs if (base / d).is_symlink()]
        dirs[:] = [d for d in dirs if d not in links]
        for name in sorted(files + links):
            path = base / name
            if any(fnmatch(name, p) for p in ignore):
                continue
            if path.is_symlink():
                yield path.relative_to(src), True
            elif path.is_file():
                yield path.relative_to(src), False


def check_submission(folder: Path, ignore: list[str], limits: sbx.Limits) -> None:
    """Raise :class:`TooLarge` when a submission holds too many files or bytes, before anything
    reads, hashes or copies it."""
    total = 0
    for rel, link in walk_files(folder, ignore, limits.files):
        if not link:
            with contextlib.suppress(OSError):
                total += os.lstat(folder / rel).st_size
            if limits.disk is not None and total > limits.disk:
                raise TooLarge(f"más de {limits.disk / 2**20:g} MiB")


def clean_workdir(work: Path, keep: list[str], limits: sbx.Limits) -> list[str]:
    """After the kernel ended: leave only plain files in the working folder; say what went.

    Walked without following links: symlinks, hard links (a file with another name anywhere),
    FIFOs, sockets and devices are removed before any trusted code reads or copies the folder.
    Past the file or byte bounds only ``keep`` (notebooks, models of the checks) stays."""
    dropped: list[str] = []
    count = total = 0
    stack, found = [work], []
    while stack:  # every entry's status first: removing one name of a hard link changes the other's
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                names = [entry.name for entry in entries]
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            dropped.append(f"{folder.relative_to(work)}/ (ilegible)")
            continue
        for name in names:
            path = folder / name
            try:
                info = os.lstat(path)
            except OSError:
                continue
            count += 1
            if stat.S_ISDIR(info.st_mode):
                stack.append(path)
            else:
                found.append((path, info))
    for path, info in found:
        if stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
            total += info.st_size
            continue
        kind = ("enlace simbólico" if stat.S_ISLNK(info.st_mode) else
                "enlace duro" if stat.S_ISREG(info.st_mode) else "archivo especial")
        with contextlib.suppress(OSError):
            path.unlink()
        dropped.append(f"{path.relative_to(work)} ({kind})")
    notes = []
    if dropped:
        shown = ", ".join(dropped[:10]) + (f" y {len(dropped) - 10} más" if len(dropped) > 10 else "")
        notes.append(f"Se descartaron de la carpeta de trabajo entradas que no son archivos normales: {shown}.")
    if (limits.files is not None and count > limits.files) or (limits.disk is not None and total > limits.disk):
        kept = {work / rel for rel in keep}
        for root, dirs, files in os.walk(work, topdown=False):
            for name in files:
                if Path(root) / name not in kept:
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(root, name))
            for name in dirs:
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.join(root, name))
        notes.append("La carpeta de trabajo acabó con demasiados archivos: solo se conservan las libretas "
                     "y los modelos que se califican.")
    return notes


def copy_plain_files(src: Path, dest: Path) -> None:
    """Copy the regular files under ``src`` to ``dest``; links and special files never cross."""
    for root, _, files in os.walk(src):
        for name in files:
            path = Path(root) / name
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(path).st_mode):
                    target = dest / path.relative_to(src)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target, follow_symlinks=False)


def support_files(job: Job) -> list[Path]:
    """The source's files that go over the submission (relative): all but its notebooks, the
    ignored names and ``exclude_overwriting``, as ``nbgrader autograde`` does. The instructor's
    symlinks to files count (they are followed); symlinked folders are not entered."""
    source = Path(job.source_dir)
    if not source.is_dir():
        return []
    return [rel for rel, _ in walk_files(source, job.ignore)
            if rel.suffix != ".ipynb" and str(rel) not in job.exclude_overwriting and (source / rel).is_file()]


def _place(src: Path, target: Path, copy: Any = shutil.copyfile) -> None:
    """Copy ``src`` to ``target``, replacing a file or a symlink already there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() or target.is_symlink():
        target.unlink()
    copy(src, target)


def prepare_workdir(job: Job, work: Path) -> list[str]:
    """The submission, then the source's other files over it (as ``nbgrader autograde`` does).

    The submission's regular files are copied without their mode bits; its symlinks (which could
    point at the grader's files) are left out and returned."""
    work.mkdir(parents=True, exist_ok=True)
    submission = Path(job.submission_dir)
    skipped = []
    for rel, link in walk_files(submission, job.ignore):
        if link:
            skipped.append(str(rel))
        else:
            _place(submission / rel, work / rel)
    for rel in support_files(job):
        _place(Path(job.source_dir) / rel, work / rel, copy=shutil.copy2)
    return skipped


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def has_hidden_tests(cell: NotebookNode, delimiter: str = HIDDEN_BEGIN) -> bool:
    return delimiter in cell.get("source", "")


def tampered_cells(nb: NotebookNode, job: Job, name: str, config: Config) -> list[str]:
    """Read-only cells (tests, instructions) the student deleted or edited, by nbgrader's checksums.

    Each locked cell of the gradebook is rebuilt as the student received it (hidden tests and
    mark schemes removed) and its checksum compared with the submitted cell's."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme

    submitted = {}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            submitted.setdefault(grade_id, cell)
    hidden, scheme = ClearHiddenTests(config=config), ClearMarkScheme(config=config)
    found = []
    with Gradebook(job.db_url, job.course_id) as gb:
        try:
            notebook = gb.find_notebook(name, job.assignment)
        except MissingEntry:
            return []
        grades = {g.name: g for g in notebook.grade_cells}
        for source in sorted(notebook.source_cells, key=lambda c: c.name):
            if not source.locked:
                continue
            cell = submitted.get(source.name)
            if cell is None or "nbgrader" not in cell.get("metadata", {}):
                found.append(f"{source.name} (borrada)")
                continue
            meta = {"grade": source.name in grades, "solution": False, "locked": True, "grade_id": source.name,
                    "schema_version": 3}
            if source.name in grades:
                meta["points"] = grades[source.name].max_score
            make = nbformat.v4.new_code_cell if source.cell_type == "code" else nbformat.v4.new_markdown_cell
            expected = make(source=source.source, metadata={"nbgrader": meta})
            hidden._remove_hidden_test_region(expected)
            if expected.cell_type == "markdown":
                with contextlib.suppress(Exception):
                    scheme._remove_mark_scheme_region(expected)
            try:
                same = utils.compute_checksum(nbformat.from_dict(cell)) == utils.compute_checksum(expected)
            except Exception:  # metadata too broken to checksum
                same = False
            if not same:
                found.append(f"{source.name} (modificada)")
    return found


def run_notebook(job: Job, name: str, work: Path, config: Config, watchdog: Watchdog,
                 log: logging.Logger, sandbox: sbx.Sandbox | None = None, uid: int | None = None) -> dict[str, Any]:
    """Sanitize, execute and score one notebook; returns its part of the worker's result."""
    path = work / f"{name}.ipynb"
    info: dict[str, Any] = {"name": name, "status": "ok", "detail": "", "cells": [], "dropped_stderr": 0,
                            "notes": [], "tampered": []}
    if not path.exists() or path.is_symlink():
        others = sorted(p.name for p in work.glob("*.ipynb") if p.stem not in job.notebooks)
        hint = f" (se encontró {', '.join(others)}: ¿la renombraste?)" if others else ""
        info.update(status="invalid", detail=f"falta la libreta {name}.ipynb{hint}")
        return info
    limits = job.limits()
    size = path.stat().st_size
    if limits.notebook is not None and size > limits.notebook:
        info.update(status="oversize", detail=f"{name}.ipynb pesa {size / 2**20:.1f} MiB "
                                              f"(máximo {limits.notebook / 2**20:g} MiB)")
        return info
    try:
        nb = nbformat.reader.reads(path.read_bytes())  # parsed once, not converted nor validated yet
        cells = nb.get("cells")
        if limits.cells is not None and isinstance(cells, list) and len(cells) > limits.cells:
            info.update(status="oversize", detail=f"{name}.ipynb tiene {len(cells)} celdas (máximo {limits.cells})")
            return info
        nb = nbformat.convert(nb, 4)
        nbformat.validate(nb)
    except Exception as exc:
        info.update(status="invalid", detail=f"{name}.ipynb no es una libreta válida ({type(exc).__name__})")
        return info
    resources: dict[str, Any] = {
        "nbgrader": {"notebook": name, "assignment": job.assignment, "student": job.student, "db_url": job.db_url},
        "metadata": {"path": str(work)},
        "unique_key": name,
    }
    try:
        info["tampered"] = tampered_cells(nb, job, name, config)
    except Exception as exc:  # never lose a grade over the check itself
        log.warning("tamper check of %s failed: %s", name, exc)
    if info["tampered"]:
        info["status"] = "tampered"
        info["detail"] = (f"{name}.ipynb: celdas de solo lectura alteradas: {', '.join(info['tampered'])}; "
                          "se restauraron las originales para calificar")
    try:
        for cls in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
            nb, resources = cls(config=config, log=log).preprocess(nb, resources)
    except Exception as exc:
        info.update(status="invalid", detail=f"{name}.ipynb tiene metadatos de nbgrader dañados ({exc})")
        return info
    nb = nbformat.from_dict(nb)  # cells restored by OverwriteCells hold plain dicts

    executor = GradingExecute(watchdog=watchdog, kernel_log=Path(job.out_dir) / "kernel.log", config=config,
                              log=log, timeout=job.cell_timeout, seed=job.seed, sandbox=sandbox, uid=uid,
                              gpu=job.device.startswith("gpu"),
                              output_limit=job.limits().output)
    failure = None
    if watchdog.reason:  # the deadline passed during an earlier notebook
        failure = watchdog.reason
    else:
        try:
            nb, resources = executor.preprocess(nb, resources)
        except DeadKernelError:
            failure = watchdog.reason or "crashed"
        except CellTimeoutError:  # the kernel ignored the interrupt after a cell's timeout
            failure = "timeout"
            info["detail"] = f"{job.cell_timeout} s en una celda que no respondió a la interrupción"
        except Exception as exc:
            failure = watchdog.reason or "crashed"
            info["detail"] = f"{type(exc).__name__}: {exc}"
        finally:
            watchdog.kernel = None
        if failure and not watchdog.reason and not executor.started:
            # No cell of the notebook ran: the kernel could not start or died on its own. That is
            # the grader's environment, never the student's code: graded again by the next run.
            failure = "error"
            log_tail = _tail(Path(job.out_dir) / "kernel.log")
            info["detail"] = ("el kernel no llegó a ejecutar ninguna celda"
                              + (f" ({info['detail']})" if info["detail"] else "") + (f": {log_tail}" if log_tail else ""))
    if failure:
        info["status"] = failure
        if failure == "timeout" and not info["detail"]:
            info["detail"] = f"{job.timeout:g} s en total"
        elif failure == "memory":
            info["detail"] = f"{(job.memory_limit or 0) / 2**30:.1f} GiB"
        elif failure == "disk":
            info["detail"] = f"{(limits.disk or 0) / 2**20:g} MiB o {limits.files} archivos"
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and utils.is_grade(cell) and index not in executor.executed:
                cell.outputs = [_error_output("NotRun", "la libreta se detuvo antes de esta celda")]

    if executor.truncated:
        info["notes"].append(f"{name}.ipynb: la salida superó {executor.output_limit / 2**20:g} MiB y se truncó.")
    if executor.hidden_errors:
        info["notes"].append(f"{name}.ipynb: {len(executor.hidden_errors)} celda(s) fallaron sin mostrar el error; "
                             "cuentan como fallidas.")
    info["not_allowed"] = not_allowed_uses(nb, name)
    delimiter = config.get("ClearHiddenTests", {}).get("begin_test_delimeter", HIDDEN_BEGIN)
    for cell in nb.cells:
        if utils.is_grade(cell):
            info["dropped_stderr"] += scoring.drop_log_stderr(cell)
            scoring.guard_partial_credit(cell)
    nb, resources = LimitOutput(config=config, log=log).preprocess(nb, resources)
    for cell in nb.cells:
        if utils.is_task(cell):
            info["cells"].append({"name": cell.metadata.nbgrader["grade_id"], "notebook": name, "kind": "task",
                                  "score": None, "max_score": float(cell.metadata.nbgrader.get("points", 0)),
                                  "message": "Tarea abierta: pendiente de corrección manual.", "hidden": False})
        if not utils.is_grade(cell):
            continue
        score, max_score = scoring.cell_score(cell)
        info["cells"].append({
            "name": cell.metadata.nbgrader["grade_id"], "notebook": name, "kind": _kind(cell),
            "score": score, "max_score": max_score, "message": scoring.cell_message(cell, score, max_score),
            "hidden": has_hidden_tests(cell, delimiter),
        })
    info["nb"] = nb
    return info


def not_allowed_uses(nb: NotebookNode, name: str) -> list[dict[str, str]]:
    """The cells that called a name of the kit the assignment forbids, with the kit's message."""
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error" and out.get("ename") == restrict.ERROR_NAME:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                found.append({"notebook": name, "cell": grade_id or f"celda {index + 1}",
                              "message": str(out.get("evalue", ""))[:300]})
                break
    return found


def _tail(path: Path, lines: int = 3) -> str:
    """The last lines of a log of ours, for a message."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - 4096))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def _kind(cell: NotebookNode) -> str:
    if cell.cell_type != "code":
        return "written"
    return "answer" if utils.is_solution(cell) else "tests"


def apply_checks(job: Job, work: Path, notebooks: list[dict[str, Any]], evaluate_timeout: float,
                 sandbox: sbx.Sandbox | None) -> list[dict[str, Any]]:
    """Threshold checks on the saved models; a grade cell named like a check gets its points.

    Each model is measured by :func:`thresholds.evaluate` (a checked copy, a sandboxed loader,
    the metric computed here). A check the grader itself could not run is marked ``fault``."""
    results = []
    cells = {cell["name"]: (info, cell) for info in notebooks for cell in info["cells"]}
    for index, spec in enumerate(job.checks):
        check = thresholds.Check(**spec)
        entry = cells.get(check.name)
        evaluation = thresholds.evaluate(check, work, Path(job.out_dir) / f"check{index}", sandbox=sandbox,
                                         env=dict(os.environ), gpu=job.device.startswith("gpu"),
                                         timeout=evaluate_timeout, memory_limit=job.memory_limit,
                                         limits=job.limits())
        graded = thresholds.grade_check(check, evaluation, max_points=entry[1]["max_score"] if entry else None)
        result = {"name": check.name, "kind": "threshold", "notebook": entry[0]["name"] if entry else None,
                  "score": graded["score"], "max_score": graded["max_score"], "value": graded["value"],
                  "message": graded["message"], "hidden": False, "metric": check.metric}
        if "fault" in evaluation:
            result["fault"] = evaluation["fault"]
        if "leak" in evaluation:
            result["leak"] = evaluation["leak"]
        flag = thresholds.leak_flag(check, evaluation)
        if flag is not None:
            result["flag"] = flag
        results.append(result)
        if entry is None:
            continue
        info, cell_info = entry
        cell_info.update(kind="threshold", score=graded["score"], message=graded["message"],
                         value=graded["value"], metric=check.metric)
        if "leak" in evaluation:
            cell_info["leak"] = evaluation["leak"]
        for cell in info["nb"].cells:
            if utils.is_grade(cell) and cell.metadata.nbgrader["grade_id"] == check.name:
                # nbgrader reads a numeric execute_result as partial credit: the gradebook gets our score.
                cell.outputs = [
                    nbformat.v4.new_output("stream", name="stdout", text=graded["message"] + "\n"),
                    nbformat.v4.new_output("execute_result", data={"text/plain": repr(float(graded["score"]))},
                                           execution_count=cell.get("execution_count")),
                ]
    return results


def grade(job: Job) -> dict[str, Any]:
    """Grade a submission; writes the executed notebooks under ``out_dir`` and returns a summary."""
    start = time.monotonic()
    out = Path(job.out_dir)
    work = out / "work"
    config = Config(job.config)
    sandbox = job.sandbox_spec()
    limits = job.limits()
    watchdog = Watchdog(start + job.timeout, job.memory_limit, out / "kernel.pid",
                        disk_limit=limits.disk, work=work, files_limit=limits.files)
    watchdog.start()
    notebooks: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    notes: list[str] = []
    detail = ""
    try:
        links = prepare_workdir(job, work)
        if links:
            notes.append(f"Se ignoraron los enlaces simbólicos de la entrega: {', '.join(links[:10])}.")
        log = nbgrader_logger(job.course_root, terminal=False)
        if job.forbid and sandbox is None:  # no sandbox: only the import path keeps the names out
            kit = str(sbx.restricted_kit(job.forbid, job.assignment))
            os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (kit, os.environ.get("PYTHONPATH")) if p)
        with (sbx.sandbox_user() if sandbox else contextlib.nullcontext(None)) as uid:
            sbx.own_tree(work, uid)
            for name in job.notebooks:
                notebooks.append(run_notebook(job, name, work, config, watchdog, log, sandbox, uid))
        watchdog.stop()
        # Every process of the student's is gone: from here on, only plain files are read.
        keep = [f"{name}.ipynb" for name in job.notebooks]
        keep += [rel for spec in job.checks for rel in thresholds.model_files(thresholds.Check(**spec))]
        notes += clean_workdir(work, keep, limits)
        remaining = max(60.0, job.timeout - (time.monotonic() - start))
        if job.checks:
            checks = apply_checks(job, work, notebooks, evaluate_timeout=remaining, sandbox=sandbox)
        faults = [c["fault"] for c in checks if "fault" in c]
        if faults:
            notebooks.append({"name": "*", "status": "error", "detail": "; ".join(faults), "cells": []})
        (out / "notebooks").mkdir(exist_ok=True)
        for info in notebooks:
            nb = info.pop("nb", None)
            if nb is not None:
                nbformat.write(nb, out / "notebooks" / f"{info['name']}.ipynb")
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"
        (out / "worker-error.txt").write_text(traceback.format_exc())
        for info in notebooks:
            info.pop("nb", None)
        notebooks.append({"name": "*", "status": "error", "detail": detail, "cells": []})
    finally:
        watchdog.stop()
    statuses = [info["status"] for info in notebooks] or ["ok"]
    status = min(statuses, key=STATUS_ORDER.index)
    details = [info["detail"] for info in notebooks if info.get("detail") and info["status"] == status]
    return {
        "student": job.student, "assignment": job.assignment, "status": status,
        "detail": "; ".join(details) or detail, "notebooks": notebooks, "checks": checks,
        "notes": notes + [note for info in notebooks for note in info.get("notes", [])],
        "tampered": [f"{info['name']}: {cell}" for info in notebooks for cell in info.get("tampered", [])],
        "flags": [c["flag"] for c in checks if "flag" in c],
        "not_allowed": [item for info in notebooks for item in info.get("not_allowed", [])],
        "sandbox": "bwrap" if sandbox else "none",
        "runtime_s": round(time.monotonic() - start, 2), "device": job.device,
        "peak_memory_mb": round(watchdog.peak / 2**20, 1) if watchdog.peak else None,
    }


def main(job_file: str) -> int:
    """Entry point of a worker process: ``python -m autograder.worker OUT_DIR/job.json``."""
    job = Job(**json.loads(Path(job_file).read_text()))
    os.environ.update(job.env)
    result = grade(job)
    tmp = Path(job.out_dir) / "result.json.tmp"
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    os.replace(tmp, Path(job.out_dir) / "result.json")
    return 0


def write_job(job: Job) -> Path:
    path = Path(job.out_dir) / "job.json"
    path.write_text(json.dumps(asdict(job), ensure_ascii=False, indent=1))
    return path


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
