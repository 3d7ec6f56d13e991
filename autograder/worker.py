"""Grade one submission, in its own process with its own kernel; the gradebook is not touched.

The worker copies the submission to a private folder, runs nbgrader's sanitizing preprocessors
on each notebook (clear outputs, restore the kernelspec, restore the test cells from the
source: students cannot edit or delete them), executes it with nbgrader's ``Execute`` (per-cell
timeout) after seeding the kernel, and scores the grade cells. A watchdog thread kills the
kernel past the submission's wall clock or memory limit. Threshold checks then run on the saved
model in a fresh process. The parent process writes everything it returns to the gradebook.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds, Execute, LimitOutput,
                                    OverwriteCells, OverwriteKernelspec)
from traitlets import Integer
from traitlets.config import Config

from . import scoring, thresholds
from .course import nbgrader_logger
from .seeding import seed_code

# Worst first: the status of a submission is the worst status of its notebooks.
STATUS_ORDER = ("error", "timeout", "memory", "crashed", "invalid", "ok")
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


def kernel_pid(km: Any) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if pid is None and getattr(provisioner, "process", None) is not None:
        pid = provisioner.process.pid
    return pid


def group_rss(pgid: int) -> int:
    """Resident memory (bytes) of every process in a process group; 0 where /proc is missing."""
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields[0] is the state (field 3 of stat); pgrp is field 5, rss field 24.
        if int(fields[2]) == pgid:
            total += int(fields[21]) * page
    return total


class Watchdog(threading.Thread):
    """Kills the running kernel past the deadline or the memory limit, or when the parent dies."""

    def __init__(self, deadline: float, memory_limit: int | None, pidfile: Path):
        super().__init__(daemon=True)
        self.deadline = deadline
        self.memory_limit = memory_limit
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
        while not self._halt.wait(0.25):
            if os.getppid() != self.parent:  # the batch was killed: leave nothing behind
                self.kill("error")
                os._exit(3)
            if time.monotonic() > self.deadline:
                self.kill("timeout")
            elif self.memory_limit and self.kernel is not None:
                rss = group_rss(self.kernel)
                self.peak = max(self.peak, rss)
                if rss > self.memory_limit:
                    self.kill("memory")

    def stop(self) -> None:
        self._halt.set()


class GradingExecute(Execute):
    """nbgrader's ``Execute``, which reports its kernel to the watchdog and seeds it first."""

    seed = Integer(42).tag(config=True)

    def __init__(self, watchdog: Watchdog | None = None, kernel_log: Path | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.watchdog = watchdog
        self.kernel_log = kernel_log
        self.executed: set[int] = set()

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
        super().on_cell_executed(**kwargs)
        self.executed.add(kwargs["cell_index"])


def _copy_tree(src: Path, dest: Path, ignore: list[str]) -> None:
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if any(fnmatch(part, pattern) for part in rel.parts for pattern in ignore):
            continue
        target = dest / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target.unlink()
            shutil.copy2(path, target)


def prepare_workdir(job: Job, work: Path) -> None:
    """The submission, then the source's other files over it (as ``nbgrader autograde`` does)."""
    work.mkdir(parents=True, exist_ok=True)
    _copy_tree(Path(job.submission_dir), work, job.ignore)
    source = Path(job.source_dir)
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            rel = path.relative_to(source)
            if (not path.is_file() or path.suffix == ".ipynb" or str(rel) in job.exclude_overwriting
                    or any(fnmatch(part, pattern) for part in rel.parts for pattern in job.ignore)):
                continue
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            if (work / rel).exists():
                (work / rel).unlink()
            shutil.copy2(path, work / rel)


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def has_hidden_tests(cell: NotebookNode, delimiter: str = HIDDEN_BEGIN) -> bool:
    return delimiter in cell.get("source", "")


def run_notebook(job: Job, name: str, work: Path, config: Config, watchdog: Watchdog,
                 log: logging.Logger) -> dict[str, Any]:
    """Sanitize, execute and score one notebook; returns its part of the worker's result."""
    path = work / f"{name}.ipynb"
    info: dict[str, Any] = {"name": name, "status": "ok", "detail": "", "cells": [], "dropped_stderr": 0}
    if not path.exists():
        info.update(status="invalid", detail=f"falta la libreta {name}.ipynb")
        return info
    try:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
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
        for cls in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
            nb, resources = cls(config=config, log=log).preprocess(nb, resources)
    except Exception as exc:
        info.update(status="invalid", detail=f"{name}.ipynb tiene metadatos de nbgrader dañados ({exc})")
        return info
    nb = nbformat.from_dict(nb)  # cells restored by OverwriteCells hold plain dicts

    executor = GradingExecute(watchdog=watchdog, kernel_log=Path(job.out_dir) / "kernel.log", config=config,
                              log=log, timeout=job.cell_timeout, seed=job.seed)
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
    if failure:
        info["status"] = failure
        if failure == "timeout" and not info["detail"]:
            info["detail"] = f"{job.timeout:g} s en total"
        elif failure == "memory":
            info["detail"] = f"{(job.memory_limit or 0) / 2**30:.1f} GiB"
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and utils.is_grade(cell) and index not in executor.executed:
                cell.outputs = [_error_output("NotRun", "la libreta se detuvo antes de esta celda")]

    delimiter = config.get("ClearHiddenTests", {}).get("begin_test_delimeter", HIDDEN_BEGIN)
    for cell in nb.cells:
        if utils.is_grade(cell):
            info["dropped_stderr"] += scoring.drop_log_stderr(cell)
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


def _kind(cell: NotebookNode) -> str:
    if cell.cell_type != "code":
        return "written"
    return "answer" if utils.is_solution(cell) else "tests"


def apply_checks(job: Job, work: Path, notebooks: list[dict[str, Any]], evaluate_timeout: float) -> list[dict[str, Any]]:
    """Threshold checks on the saved models; a grade cell named like a check gets its points."""
    results = []
    cells = {cell["name"]: (info, cell) for info in notebooks for cell in info["cells"]}
    for spec in job.checks:
        check = thresholds.Check(**spec)
        entry = cells.get(check.name)
        evaluation = thresholds.evaluate(check, work, timeout=evaluate_timeout)
        graded = thresholds.grade_check(check, evaluation, max_points=entry[1]["max_score"] if entry else None)
        result = {"name": check.name, "kind": "threshold", "notebook": entry[0]["name"] if entry else None,
                  "score": graded["score"], "max_score": graded["max_score"], "value": graded["value"],
                  "message": graded["message"], "hidden": False, "metric": check.metric}
        results.append(result)
        if entry is None:
            continue
        info, cell_info = entry
        cell_info.update(kind="threshold", score=graded["score"], message=graded["message"],
                         value=graded["value"], metric=check.metric)
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
    watchdog = Watchdog(start + job.timeout, job.memory_limit, out / "kernel.pid")
    watchdog.start()
    notebooks: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    detail = ""
    try:
        prepare_workdir(job, work)
        log = nbgrader_logger(job.course_root, terminal=False)
        for name in job.notebooks:
            notebooks.append(run_notebook(job, name, work, config, watchdog, log))
        watchdog.stop()
        remaining = max(60.0, job.timeout - (time.monotonic() - start))
        if job.checks:
            checks = apply_checks(job, work, notebooks, evaluate_timeout=remaining)
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
