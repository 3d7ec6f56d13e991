"""The grader, composed as nbgrader composes ``Autograde``: lists of preprocessor classes, and checks.

Per notebook: the submission's bounds; the **sanitize** steps (tampering noted, outputs cleared,
kernelspec and read-only cells restored from the gradebook, metadata checked); the **execute**
steps (nbgrader's ``Execute`` in a sandboxed, seeded kernel, see :mod:`autograder.execute`); the
**record** steps (kit names used, log lines off stderr, partial credit guarded, outputs limited,
the graded items). Then, once every process of the student's is gone and only plain files are
left in the working folder, the **checks** (:mod:`autograder.checks`). Each list is set in the
course's ``nbgrader_config.py``::

    c.Autograder.record_preprocessors = ["autograder.preprocessors.RecordNotAllowed", ..., "mycourse.MyStep"]
    c.Autograder.checks = [..., "mycourse.checks.ParameterBudget"]

(classes, or import strings; a worker imports them by name, so they must live in an importable
module). The config sections a worker receives are those its classes read (:meth:`Autograder.sections`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
)
from traitlets import List
from traitlets.config import Config, Configurable, LoggingConfigurable
from traitlets.utils.importstring import import_item

from . import cgroups, thresholds
from . import messages as msg
from . import sandbox as sbx
from .checks.base import CheckContext, CheckKind
from .checks.required_file import RequiredFile
from .checks.threshold import LeakFlag, ThresholdCheck
from .course import nbgrader_logger
from .devices import MEMORY_ENV
from .execute import GpuOutOfMemory, GradingExecute
from .job import Job
from .preprocessors import CheckTampering, GuardPartialCredit, IgnoreLogStderr, RecordGrades, RecordNotAllowed, state
from .results import Flag, Item, NotebookResult, WorkerResult, worst
from .staging import clean_workdir, prepare_workdir
from .watchdog import Watchdog

LISTS = ("sanitize_preprocessors", "execute_preprocessors", "record_preprocessors", "checks")


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class Autograder(LoggingConfigurable):
    """The grader's steps; ``c.Autograder.*`` in the course's config."""

    sanitize_preprocessors = List([CheckTampering, ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
                                   CheckCellMetadata], help="Before execution (classes or import strings)"
                                  ).tag(config=True)
    execute_preprocessors = List([GradingExecute], help="Execution; a GradingExecute gets the sandbox and watchdog"
                                 ).tag(config=True)
    record_preprocessors = List([RecordNotAllowed, IgnoreLogStderr, GuardPartialCredit, LimitOutput, RecordGrades],
                                help="After execution, before scoring").tag(config=True)
    checks = List([ThresholdCheck, LeakFlag, RequiredFile], help="Check kinds (autograder.checks.CheckKind)"
                  ).tag(config=True)

    def classes_of(self, name: str) -> list[type]:
        return [import_item(c) if isinstance(c, str) else c for c in getattr(self, name)]

    def sections(self) -> list[str]:
        """Config sections the configured classes read: their own, their bases', and those of the
        configurables they build (``uses``)."""
        found = ["Autograder"]
        todo = [cls for name in LISTS for cls in self.classes_of(name)]
        while todo:
            cls = todo.pop(0)
            for base in cls.__mro__:
                if issubclass(base, Configurable) and base.__name__ not in found:
                    found.append(base.__name__)
            todo += [used for used in getattr(cls, "uses", ()) if used.__name__ not in found]
        return found

    def worker_config(self, config: Config) -> dict[str, Any]:
        """The sections a worker needs, as JSON (classes as import strings; values JSON cannot carry left out)."""
        chosen: dict[str, Any] = {}
        for section in self.sections():
            values = {}
            for key, value in dict(config.get(section, {})).items():
                if section == "Autograder" and key in LISTS:
                    value = [v if isinstance(v, str) else _name(v) for v in value]
                if _jsonable(value):
                    values[key] = value
            if values:
                chosen[section] = values
        if "OverwriteCells" in self.sections():  # deleted tests come back
            chosen.setdefault("OverwriteCells", {}).setdefault("add_missing_cells", True)
        return chosen

    def kinds(self) -> list[CheckKind]:
        return [cls(parent=self) for cls in self.classes_of("checks")]

    def load_checks(self, course_root: str | Path, assignment: str) -> list[dict[str, Any]]:
        """The specs of the assignment's checks in ``thresholds.toml``, each parsed by its kind."""
        path, tables = thresholds.check_tables(course_root, assignment)
        kinds = {kind.kind: kind for kind in self.kinds() if kind.has_tables}
        specs = []
        for name, table in tables.items():
            where = f"{path}: [{assignment}.{name}]"
            kind = kinds.get(table.get("kind", "threshold"))
            if kind is None:
                raise ValueError(f"{where}: unknown kind {table.get('kind')!r}; known: {sorted(kinds)}")
            specs.append(kind.parse(name, table, where))
        return specs

    # -- one notebook ---------------------------------------------------------------------------
    def grade_notebook(self, job: Job, name: str, work: Path, run: Run) -> tuple[NotebookResult, NotebookNode | None]:
        """Sanitize, execute and record one notebook."""
        result = NotebookResult(name)
        nb = read_submitted(job, name, work, result)
        if nb is None:
            return result, None
        resources: dict[str, Any] = {
            "nbgrader": {"notebook": name, "assignment": job.assignment, "student": job.student,
                         "db_url": job.db_url, "course_id": job.course_id},
            "metadata": {"path": str(work)},
            "unique_key": name,
        }
        steps = [cls(parent=self, log=run.log) for cls in self.classes_of("sanitize_preprocessors")]
        try:
            for step in steps:
                nb, resources = step(nb, resources)
        except Exception as exc:
            return result.fail("invalid", msg.BROKEN_METADATA.format(name=name, error=exc)), None
        nb = nbformat.from_dict(nb)  # cells restored by OverwriteCells hold plain dicts
        result.tampered = list(state(resources)["tampered"])
        if result.tampered:
            result.fail("tampered", msg.TAMPERED.format(name=name, cells=", ".join(result.tampered)))
        nb = self.execute(job, nb, resources, run, result)
        for cls in self.classes_of("record_preprocessors"):
            nb, resources = cls(parent=self, log=run.log)(nb, resources)
        found = state(resources)
        result.not_allowed, result.items = list(found["not_allowed"]), list(found["items"])
        return result, nb

    def execute(self, job: Job, nb: NotebookNode, resources: dict[str, Any], run: Run,
                result: NotebookResult) -> NotebookNode:
        executors = []
        for cls in self.classes_of("execute_preprocessors"):
            extra: dict[str, Any] = {}
            if issubclass(cls, GradingExecute):
                extra = dict(watchdog=run.watchdog, kernel_log=Path(job.out_dir) / "kernel.log", sandbox=run.sandbox,
                             uid=run.uid, gpu=job.gpu, output_limit=job.limits().output, cgroup=run.cgroup,
                             timeout=job.cell_timeout, seed=job.seed)
            executors.append(cls(parent=self, log=run.log, **extra))
        failure, detail, started, executed = run.watchdog.reason, "", False, set()
        gpu_memory = False
        if failure is None:  # else the deadline passed during an earlier notebook
            try:
                for executor in executors:
                    nb, resources = executor(nb, resources)
            except DeadKernelError:
                failure = run.watchdog.reason or ("memory" if run.watchdog.out_of_memory() else "crashed")
            except GpuOutOfMemory:  # a cell's error said so; the kernel is shut down like any other
                failure, gpu_memory = "memory", True
            except CellTimeoutError:  # the kernel ignored the interrupt after a cell's timeout
                failure, detail = "timeout", msg.TIMEOUT_CELL.format(seconds=job.cell_timeout)
            except Exception as exc:
                failure = run.watchdog.reason or ("memory" if run.watchdog.out_of_memory() else "crashed")
                detail = f"{type(exc).__name__}: {exc}"
            finally:
                run.watchdog.kernel = None
            graders = [e for e in executors if isinstance(e, GradingExecute)]
            started = any(e.started for e in graders)
            executed = set().union(*(e.executed for e in graders)) if graders else set()
            if failure and not run.watchdog.reason and not started and graders:
                # No cell of the notebook ran: the kernel could not start or died on its own. That is
                # the grader's environment, never the student's code: graded again by the next run.
                failure = "error"
                tail = _tail(Path(job.out_dir) / "kernel.log")
                detail = msg.KERNEL_NEVER_RAN + (f" ({detail})" if detail else "") + (f": {tail}" if tail else "")
            for executor in graders:
                if executor.truncated and executor.output_limit is not None:
                    result.notes.append(msg.OUTPUT_TRUNCATED.format(name=result.name,
                                                                    limit_mib=executor.output_limit / msg.MiB))
                if executor.hidden_errors:
                    result.notes.append(msg.HIDDEN_ERRORS.format(name=result.name, count=len(executor.hidden_errors)))
        if failure:
            limits = job.limits()
            if failure == "timeout":
                detail = detail or msg.TIMEOUT_TOTAL.format(seconds=job.timeout)
            elif failure == "memory" and gpu_memory:
                cap = job.env.get(MEMORY_ENV, "")
                detail = (msg.GPU_MEMORY_LIMIT.format(limit_gib=int(cap) / 1024) if cap.isdigit()
                          else msg.GPU_MEMORY_FULL)
            elif failure == "memory":
                detail = msg.MEMORY_LIMIT.format(limit_gib=(job.memory_limit or 0) / 2**30)
            elif failure == "disk":
                detail = msg.DISK_LIMIT.format(disk_mib=(limits.disk or 0) / msg.MiB, files=limits.files)
            result.fail(failure, detail)
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and utils.is_grade(cell) and index not in executed:
                    cell.outputs = [nbformat.v4.new_output("error", ename="NotRun", evalue=msg.NOT_RUN,
                                                           traceback=[f"NotRun: {msg.NOT_RUN}"])]
        return nb

    # -- checks ---------------------------------------------------------------------------------
    def run_checks(self, job: Job, notebooks: list[NotebookResult], executed: dict[str, NotebookNode],
                   context: CheckContext) -> tuple[list[Item], list[Flag]]:
        """Every check of the job; a grade cell named like a check gets its points."""
        kinds = self.kinds()
        by_kind = {kind.kind: kind for kind in kinds}
        cells = {item.name: (nb, item) for nb in notebooks for item in nb.items}
        results, flags = [], []
        for index, spec in enumerate(job.checks):
            spec = {"kind": "threshold", **spec}
            entry = cells.get(spec["name"])
            item = by_kind[spec["kind"]].measure(spec, _at(context, index, job), entry[1].max if entry else None)
            item.notebook = entry[0].name if entry else None
            results.append(item)
            flags += [flag for kind in kinds if (flag := kind.review(spec, item)) is not None]
            if entry is None:
                continue
            cell_item = entry[1]
            cell_item.kind, cell_item.points, cell_item.message = item.kind, item.points, item.message
            cell_item.value, cell_item.metric, cell_item.leak = item.value, item.metric, item.leak
            nb = executed.get(entry[0].name)
            for cell in nb.cells if nb is not None else []:
                if utils.is_grade(cell) and cell.metadata.nbgrader["grade_id"] == item.name:
                    # nbgrader reads a numeric execute_result as partial credit: the gradebook gets ours.
                    cell.outputs = [
                        nbformat.v4.new_output("stream", name="stdout", text=item.message + "\n"),
                        nbformat.v4.new_output("execute_result", data={"text/plain": repr(float(item.points or 0))},
                                               execution_count=cell.get("execution_count")),
                    ]
        return results, flags

    def kept_files(self, job: Job) -> list[str]:
        by_kind = {kind.kind: kind for kind in self.kinds()}
        keep = [f"{name}.ipynb" for name in job.notebooks]
        for spec in job.checks:
            keep += by_kind[spec.get("kind", "threshold")].files(spec)
        return keep


@dataclass
class Run:
    """What the notebooks of one submission share while they run."""

    watchdog: Watchdog
    log: logging.Logger
    sandbox: sbx.Sandbox | None = None
    uid: int | None = None
    cgroup: cgroups.Cgroup | None = None


def _at(context: CheckContext, index: int, job: Job) -> CheckContext:
    return CheckContext(context.work, Path(job.out_dir) / f"check{index}", context.sandbox, context.env,
                        context.gpu, context.timeout, context.memory_limit, context.limits)


def read_submitted(job: Job, name: str, work: Path, result: NotebookResult) -> NotebookNode | None:
    """The submitted notebook, read within its bounds, or ``None`` with the reason in ``result``."""
    path = work / f"{name}.ipynb"
    if not path.exists() or path.is_symlink():
        others = sorted(p.name for p in work.glob("*.ipynb") if p.stem not in job.notebooks)
        hint = msg.RENAMED_HINT.format(others=", ".join(others)) if others else ""
        result.fail("invalid", msg.MISSING_NOTEBOOK.format(name=name, hint=hint))
        return None
    limits = job.limits()
    size = path.stat().st_size
    if limits.notebook is not None and size > limits.notebook:
        result.fail("oversize", msg.NOTEBOOK_TOO_BIG.format(name=name, size_mib=size / msg.MiB,
                                                            limit_mib=limits.notebook / msg.MiB))
        return None
    try:
        nb = nbformat.reader.reads(path.read_bytes())  # parsed once, not converted nor validated yet
        cells = nb.get("cells")
        if limits.cells is not None and isinstance(cells, list) and len(cells) > limits.cells:
            result.fail("oversize", msg.TOO_MANY_CELLS.format(name=name, cells=len(cells), limit=limits.cells))
            return None
        nb = nbformat.convert(nb, 4)
        nbformat.validate(nb)
    except Exception as exc:
        result.fail("invalid", msg.NOT_A_NOTEBOOK.format(name=name, error=type(exc).__name__))
        return None
    return nb


def _tail(path: Path, lines: int = 3) -> str:
    """The last lines of a log of ours, for a message."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - 4096))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


# -- one submission ---------------------------------------------------------------------------------
def grade(job: Job) -> WorkerResult:
    """Grade a submission; writes the executed notebooks under ``out_dir/notebooks``."""
    start = time.monotonic()
    out = Path(job.out_dir)
    work = out / "work"
    grader = Autograder(config=Config(job.config))
    sandbox = job.sandbox_spec()
    limits = job.limits()
    cgroup = cgroups.create(job.memory_limit, limits.processes, job.student)
    watchdog = Watchdog(start + job.timeout, job.memory_limit, out / "kernel.pid", disk_limit=limits.disk, work=work,
                        files_limit=limits.files, cgroup=cgroup)
    watchdog.start()
    result = WorkerResult(job.student, job.assignment, "ok", sandbox="bwrap" if sandbox else "none",
                          device=job.device)
    executed: dict[str, NotebookNode] = {}
    try:
        links = prepare_workdir(job, work)
        if links:
            result.notes.append(msg.SYMLINKS_IGNORED.format(names=", ".join(links[:10])))
        log = nbgrader_logger(job.course_root, terminal=False)
        if job.forbid and sandbox is None:  # no sandbox: only the import path keeps the names out
            kit = str(sbx.restricted_kit(job.forbid, job.assignment))
            os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (kit, os.environ.get("PYTHONPATH")) if p)
        with (sbx.sandbox_user() if sandbox else contextlib.nullcontext(None)) as uid:
            sbx.own_tree(work, uid)
            run = Run(watchdog, log, sandbox, uid, cgroup)
            for name in job.notebooks:
                notebook, nb = grader.grade_notebook(job, name, work, run)
                result.notebooks.append(notebook)
                if nb is not None:
                    executed[name] = nb
        watchdog.stop()
        if cgroup is not None:
            cgroup.kill()
        # Every process of the student's is gone: from here on, only plain files are read.
        result.notes += clean_workdir(work, grader.kept_files(job), limits)
        context = CheckContext(work, out, sandbox, dict(os.environ), job.gpu,
                               max(60.0, job.timeout - (time.monotonic() - start)), job.memory_limit, limits)
        if job.checks:
            result.checks, result.flags = grader.run_checks(job, result.notebooks, executed, context)
        faults = [c.fault for c in result.checks if c.fault]
        if faults:
            result.notebooks.append(NotebookResult("*", "error", "; ".join(faults)))
        (out / "notebooks").mkdir(exist_ok=True)
        for name, nb in executed.items():
            nbformat.write(nb, out / "notebooks" / f"{name}.ipynb")
    except Exception as exc:
        result.detail = f"{type(exc).__name__}: {exc}"
        (out / "worker-error.txt").write_text(traceback.format_exc())
        result.notebooks.append(NotebookResult("*", "error", result.detail))
    finally:
        watchdog.stop()
        if cgroup is not None:
            watchdog.peak = max(watchdog.peak, cgroup.peak())
            cgroup.remove()
    result.status = worst([nb.status for nb in result.notebooks])
    details = [nb.detail for nb in result.notebooks if nb.detail and nb.status == result.status]
    result.detail = "; ".join(details) or result.detail
    result.notes += [note for nb in result.notebooks for note in nb.notes]
    result.tampered = [f"{nb.name}: {cell}" for nb in result.notebooks for cell in nb.tampered]
    result.not_allowed = [use for nb in result.notebooks for use in nb.not_allowed]
    result.runtime_s = round(time.monotonic() - start, 2)
    result.peak_memory_mb = round(watchdog.peak / 2**20, 1) if watchdog.peak else None
    return result
