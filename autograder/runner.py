"""Grade a batch: one worker process per submission, the gradebook written by this process only.

The parent plans slots (GPUs or CPU workers), starts a worker per submission (on this machine,
or one Ray task each: see ``backends``), kills one that overstays, and, one submission at a time, writes what the worker returned: nbgrader's gradebook
(its own ``SaveAutoGrades`` and ``AssignLatePenalties``), ``autograded/``, the feedback HTML and,
last, ``results/ASSIGNMENT/STUDENT.json``. That file marks the submission as graded: a batch
killed at any point loses no finished submission, and the next run grades the others (a
submission whose files changed is graded again; ``--force`` regrades all).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import nbformat
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from . import feedback, preflight, restrict, sandbox
from . import messages as msg
from .backends import Handle, LocalBackend, open_backend
from .checks.threshold import as_check
from .course import Course
from .devices import DEFAULT_NEED_MB, Slot, exclusive_slot, shares_gpu
from .job import Job
from .leaderboard import leaderboard_entries
from .pipeline import Autograder
from .results import GradeResult, Item, WorkerResult
from .sandbox import Limits
from .staging import TooLarge, check_submission, copy_plain_files, walk_files
from .thresholds import load_forbid

EVALUATE_SECONDS = 300  # per threshold check, on top of the notebook's time limit
DEFAULT_CELL_TIMEOUT = 600


@dataclass
class Options:
    workers: int | None = None
    gpus: str = "auto"
    per_gpu: int | None = None  # submissions sharing a GPU (default: from its memory and gpu_memory_mb)
    gpu_memory_mb: int = DEFAULT_NEED_MB  # GPU memory one submission needs, for the default per_gpu
    timeout: float = 1800.0  # seconds for a whole submission
    cell_timeout: int | None = None  # seconds per cell (default: the course's Execute.timeout, else 600)
    memory_gb: float | None = None  # per submission (default: 80% of the memory, shared among slots)
    threads: int | None = None
    seed: int = 42
    force: bool = False
    students: list[str] | None = None
    progress: bool = True
    feedback: bool = True
    sandbox: str = "auto"  # auto (bubblewrap where it runs), bwrap (required) or none
    limits: Limits = field(default_factory=lambda: Limits())  # processes, files, disk, output
    backend: str = "local"  # "local" (worker processes here) or "ray"
    address: str | None = None  # Ray cluster; None: a local Ray instance
    preflight: bool = True  # prove the environment (sandboxed kernel, evaluator) before grading anyone


@dataclass
class Report:
    assignment: str
    graded: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)
    regraded_alone: list[str] = field(default_factory=list)  # GPU out-of-memory on a shared GPU, graded again alone
    seconds: float = 0.0
    grades_csv: str = ""
    sandbox: str = ""

    @property
    def statuses(self) -> Counter:
        return Counter(r["status"] for r in self.graded)


def fingerprint(folder: Path, ignore: list[str]) -> str:
    """SHA-256 over the submission's files (names and contents; a symlink's target, never followed)."""
    digest = hashlib.sha256()
    for rel, link in walk_files(folder, ignore):
        digest.update(str(rel).encode() + (b"\1" if link else b"\0"))
        if link:
            digest.update(os.readlink(folder / rel).encode())
        else:
            with open(folder / rel, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def write_json(path: Path, data: Any) -> None:
    """Atomic: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    os.replace(tmp, path)


SCRATCH_POINTER = ".autograder-scratch"  # in the course: where the last batch's working folders are


def new_scratch(course: Course) -> Path:
    """A fresh folder for the batch's working folders, outside the course; an earlier batch's,
    left by a kill, is removed first (we hold the lock)."""
    pointer = course.root / SCRATCH_POINTER
    with contextlib.suppress(OSError):
        old = Path(pointer.read_text().strip())
        if old.name.startswith("autograder-") and old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(course.root / ".autograder-tmp", ignore_errors=True)  # where older versions kept them
    scratch = Path(tempfile.mkdtemp(prefix="autograder-", dir=os.environ.get("AUTOGRADER_SCRATCH")))
    pointer.write_text(f"{scratch}\n")
    return scratch


@contextlib.contextmanager
def course_lock(course: Course) -> Iterator[None]:
    """One grading batch per course at a time."""
    with open(course.root / ".autograder.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another autograder is grading {course.root}") from None
        yield


def worker_config(config: Config) -> dict[str, Any]:
    """The config sections the worker's configured classes read (see :meth:`Autograder.sections`)."""
    return Autograder(config=config).worker_config(config)


# -- writing results ---------------------------------------------------------------------------
def record(course: Course, job: Job, result: WorkerResult, config: Config, with_feedback: bool) -> dict[str, Any]:
    """Write one worker's result: gradebook, ``autograded/``, feedback, then the results JSON."""
    assignment, student = job.assignment, job.student
    out = Path(job.out_dir)
    executed = {p.stem: nbformat.read(p, as_version=4) for p in sorted((out / "notebooks").glob("*.ipynb"))}
    submission_dir = Path(job.submission_dir)
    with course.gradebook() as gb:
        gb.update_or_create_student(student)
        timestamp = course.coursedir.get_existing_timestamp(str(submission_dir))
        if timestamp:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
    resources_base = {"assignment": assignment, "student": student, "db_url": course.db_url}
    for name, nb in executed.items():
        resources = {"nbgrader": {**resources_base, "notebook": name}}
        for cls in (SaveAutoGrades, AssignLatePenalties):
            nb, resources = cls(config=config, log=course.log).preprocess(nb, resources)
    # Whatever has no executed cell (a missing or broken notebook, a deleted test) scores zero.
    with course.gradebook() as gb:
        for name in job.notebooks:
            present = set()
            if name in executed:
                present = {c.metadata.nbgrader["grade_id"] for c in executed[name].cells
                           if "nbgrader" in c.metadata and c.metadata.nbgrader.get("grade_id")}
            for grade in gb.find_submission_notebook(name, assignment, student).grades:
                if grade.name not in present:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
        gb.db.commit()
    _write_autograded(course, job, executed)
    results = build_results(course, job, result)
    if with_feedback and executed:
        try:
            feedback.generate(course, assignment, student, results)
        except Exception as exc:  # feedback is a courtesy: never lose a grade over it
            course.log.error("feedback for %s failed: %s", student, exc)
    write_json(course.results_dir(assignment) / f"{student}.json", results)
    return results


def _write_autograded(course: Course, job: Job, executed: dict[str, Any]) -> None:
    dest = course.path("autograded", job.student, job.assignment)
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    work = Path(job.out_dir) / "work"
    if work.is_dir():  # plain files only: links and special files never reach the course
        copy_plain_files(work, tmp)
    for name, nb in executed.items():
        nbformat.write(nb, tmp / f"{name}.ipynb")
    old = dest.with_name(f".{dest.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        os.replace(dest, old)
    os.replace(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)


def build_results(course: Course, job: Job, result: WorkerResult) -> dict[str, Any]:
    """The results JSON (:class:`GradeResult`): each gradebook row with what the worker said of it."""
    graded = grade_result(course, job, result)
    graded.leaderboard = leaderboard_entries({"checks": [c.to_dict() for c in graded.checks]}, job.checks)
    return graded.to_dict()


def grade_result(course: Course, job: Job, result: WorkerResult) -> GradeResult:
    assignment, student = job.assignment, job.student
    worker_items = {(item.notebook, item.name): item for nb in result.notebooks for item in nb.items}
    message = " ".join([msg.status_message(result.status, result.detail), *result.notes])
    checks: list[Item] = []
    with course.gradebook() as gb:
        submission = gb.find_submission(assignment, student)
        late = float(submission.late_submission_penalty or 0)
        for nb in sorted(submission.notebooks, key=lambda n: job.notebooks.index(n.name) if n.name in job.notebooks else 0):
            for grade in nb.grades:
                info = worker_items.get((nb.name, grade.name))
                manual = grade.needs_manual_grade or grade.manual_score is not None
                points = None if (grade.needs_manual_grade and grade.manual_score is None) else float(grade.score)
                text = (info.message if info else "") or message
                if grade.manual_score is not None:
                    text = msg.MANUALLY_GRADED.format(score=grade.manual_score, max=grade.max_score)
                checks.append(Item(grade.name, nb.name, info.kind if info else "tests", points, float(grade.max_score),
                                   text, manual, info.visibility if info else "visible",
                                   info.value if info else None, info.metric if info else None,
                                   info.leak if info else None))
    # A check named like a grade cell is that cell's, even when its notebook never ran (missing, renamed).
    attached = {c.name for c in checks}
    for check in result.checks:
        if check.name not in attached:  # a check with no grade cell of its own
            checks.append(Item(check.name, None, check.kind, check.points, check.max, check.message,
                               value=check.value, metric=check.metric, leak=check.leak))
    raw = sum(c.points or 0.0 for c in checks)
    max_score = sum(c.max for c in checks)
    pending = [c.name for c in checks if c.manual and c.points is None]
    output = message + (msg.PENDING_LIST.format(names=", ".join(pending)) if pending else "")
    return GradeResult(
        student=student, assignment=assignment, status=result.status, message=message,
        score=round(max(0.0, raw - late), 4), max_score=round(max_score, 4), late_penalty=late,
        needs_manual_grade=bool(pending), checks=checks, runtime_s=result.runtime_s, device=job.device, seed=job.seed,
        peak_memory_mb=result.peak_memory_mb, detail=result.detail, notes=result.notes, tampered=result.tampered,
        flags=result.flags, not_allowed=result.not_allowed, sandbox=result.sandbox, fingerprint=job.fingerprint,
        graded_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), output=output)


def failed_result(job: Job, status: str, detail: str) -> WorkerResult:
    """What a worker that returned nothing (killed, or died) is graded as: zero everywhere."""
    return WorkerResult.failed(job.student, job.assignment, status, detail, job.device)


# -- the batch ---------------------------------------------------------------------------------
def grade_assignment(course: Course, assignment: str, options: Options | None = None) -> Report:
    """Grade every submission of ``assignment`` that is not graded yet; see the module's doc."""
    options = options or Options()
    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's gradebook is chatty about sessions
    start = time.monotonic()
    report = Report(assignment)
    with course_lock(course):
        notebooks = course.notebooks(assignment)
        if not notebooks:
            raise RuntimeError(f"assignment {assignment!r} is not in the gradebook: run `autograder release {assignment}` first")
        grader = Autograder(config=course.config)
        checks = grader.load_checks(course.root, assignment)
        forbid = load_forbid(course.root, assignment)
        restrict.check_names(forbid)  # a typo in the course's list stops the batch, before anyone is graded
        students = course.submitted_students(assignment)
        if options.students:
            unknown = sorted(set(options.students) - set(students))
            if unknown:
                print(f"warning: no submission for {', '.join(unknown)}", file=sys.stderr)
            students = [s for s in students if s in options.students]
        ignore = list(course.coursedir.ignore)
        pending, oversize = [], []
        for student in students:
            folder = course.path("submitted", student, assignment)
            try:  # bounded before anything reads, hashes or copies the submission
                check_submission(folder, ignore, options.limits)
                digest = fingerprint(folder, ignore)
            except TooLarge as exc:
                oversize.append((student, str(exc)))
                continue
            previous = course.results_dir(assignment) / f"{student}.json"
            if previous.exists() and not options.force:
                with contextlib.suppress(ValueError, OSError):
                    old = json.loads(previous.read_text())
                    if old.get("fingerprint") == digest and old.get("status") != "error":
                        report.skipped.append(student)
                        continue
            pending.append((student, digest))
        backend = open_backend(options.backend, address=options.address, gpus=options.gpus, workers=options.workers,
                               threads=options.threads, per_gpu=options.per_gpu, need_mb=options.gpu_memory_mb)
        slots = backend.slots
        report.slots = [s.label for s in slots]
        memory = int(options.memory_gb * 2**30) if options.memory_gb else int(0.8 * backend.slot_memory) or None
        cell_timeout = options.cell_timeout or int(course.config.get("Execute", {}).get("timeout", 0) or DEFAULT_CELL_TIMEOUT)
        config = course.config
        # The working folders live outside the course: a kernel's mounts name their host paths.
        scratch = new_scratch(course)
        with course.gradebook():
            pass  # creates the course row, so workers only read their copy
        db_file = Path(course.db_url[len("sqlite:///"):]) if course.db_url.startswith("sqlite:///") else None
        source_dir = course.source_dir(assignment)
        exclude = course.config.get("Autograde", {}).get("exclude_overwriting", {}).get(assignment, [])
        mode, warning = sandbox.resolve_mode(options.sandbox)
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
        report.sandbox = mode
        # The kernel sees none of the course folder; the grader's data, read-only.
        sandboxing: dict[str, Any] = {"mode": mode, "limits": asdict(options.limits), "hide": [str(course.root)],
                                      "data": sandbox.data_dirs(dict(os.environ))}
        if pending and options.preflight:
            spec = sandbox.Sandbox(**{**sandboxing, "limits": options.limits, "forbid": forbid,
                                      "assignment": assignment}) if mode != "none" else None
            try:
                measured = [as_check(c) for c in checks if c["kind"] == "threshold"]
                preflight.run(source_dir, measured, spec, dict(os.environ),
                              gpu=bool(slots) and slots[0].device.startswith("gpu"), memory_limit=memory)
            except BaseException:
                shutil.rmtree(scratch, ignore_errors=True)
                raise

        def make_job(student: str, digest: str, slot: Slot) -> Job:
            out = scratch / student
            out.mkdir()
            db_url = course.db_url
            if db_file is not None and db_file.exists():
                shutil.copy2(db_file, out / "gradebook.db")
                db_url = f"sqlite:///{out / 'gradebook.db'}"
            env = {**slot.env, "PYTHONHASHSEED": str(options.seed)}
            return Job(course_root=str(course.root), course_id=course.course_id, assignment=assignment,
                       student=student, submission_dir=str(course.path("submitted", student, assignment)),
                       source_dir=str(source_dir), notebooks=notebooks, db_url=db_url, out_dir=str(out),
                       cell_timeout=cell_timeout, timeout=options.timeout, memory_limit=memory, seed=options.seed,
                       env=env, device=slot.device, checks=checks, ignore=ignore,
                       exclude_overwriting=list(exclude), config=grader.worker_config(config), fingerprint=digest,
                       sandbox=sandboxing, forbid=forbid)

        for student, why in oversize:  # graded without running anything: zero, with the reason
            job = make_job(student, "", slots[0])
            report.graded.append(_record(course, job, failed_result(job, "oversize", why), config, False))
            shutil.rmtree(job.out_dir, ignore_errors=True)

        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread in a process that forks
        bar = tqdm(total=len(pending), unit="submission", desc=f"grading {assignment}", disable=not options.progress,
                   file=sys.stderr, dynamic_ncols=True)
        free = list(slots)
        running: list[Handle] = []
        queue = list(pending)

        def launch(job: Job, slot: Slot) -> Handle:
            hard = time.monotonic() + options.timeout + EVALUATE_SECONDS * len(checks) + 60
            run = backend.start(job, slot, hard)
            running.append(run)
            return run

        # A GPU out-of-memory on a shared GPU may be a neighbour's doing (the grader's environment, not
        # the student's code): such a submission is graded once more with the GPU to itself. It waits
        # until every slot of its GPU is free; meanwhile no other submission starts there.
        alone: list[tuple[str, str, str]] = []  # (student, digest, device)
        held: dict[int, list[Slot]] = {}  # id(run) -> the other slots of its GPU, kept while it runs
        retried: set[str] = set()
        try:
            while queue or running or alone:
                for item in list(alone):
                    device = item[2]
                    mine = [s for s in slots if s.device == device]
                    if all(s in free for s in mine):
                        for s in mine:
                            free.remove(s)
                        alone.remove(item)
                        run = launch(make_job(item[0], item[1], exclusive_slot(mine)), mine[0])
                        held[id(run)] = mine
                waiting = {item[2] for item in alone}
                while queue:
                    usable = [s for s in free if s.device not in waiting]
                    if not usable:
                        break
                    student, digest = queue.pop(0)
                    slot = usable[0]
                    free.remove(slot)
                    launch(make_job(student, digest, slot), slot)
                backend.wait_any(running, timeout=0.5)
                for run in list(running):
                    if not run.done() and time.monotonic() > run.deadline:
                        run.kill()
                    if not run.done():
                        continue
                    run.wait()
                    running.remove(run)
                    free.extend(held.pop(id(run), [run.slot]))
                    result = _result_of(run)
                    student = run.job.student
                    if (result.status == "memory" and shares_gpu(run.slot) and "GPU" in result.detail
                            and student not in retried and isinstance(backend, LocalBackend)):
                        retried.add(student)
                        report.regraded_alone.append(student)
                        alone.append((student, run.job.fingerprint, run.slot.device))
                        shutil.rmtree(run.job.out_dir, ignore_errors=True)
                        continue
                    if student in retried:
                        result.notes.append(msg.GRADED_ALONE)
                    results = _record(course, run.job, result, config, options.feedback)
                    report.graded.append(results)
                    bar.set_postfix_str(f"{student}: {results['status']}", refresh=False)
                    bar.update(1)
                    shutil.rmtree(run.job.out_dir, ignore_errors=True)
        except BaseException:
            for run in running:
                run.kill()
            raise
        finally:
            bar.close()
            backend.close()
            shutil.rmtree(scratch, ignore_errors=True)
        report.grades_csv = str(course.export_grades())
    report.seconds = round(time.monotonic() - start, 2)
    return report


def _result_of(run: Handle) -> WorkerResult:
    """What the worker of ``run`` wrote, or why it wrote nothing."""
    job = run.job
    result_file = Path(job.out_dir) / "result.json"
    if result_file.exists():
        return WorkerResult.from_json(json.loads(result_file.read_text()))
    if run.killed:
        return failed_result(job, "timeout", msg.TIMEOUT_TOTAL.format(seconds=job.timeout))
    error = Path(job.out_dir) / "worker-error.txt"
    detail = error.read_text().strip().splitlines()[-1] if error.exists() else msg.WORKER_NO_RESULT
    return failed_result(job, "error", detail)


def _record(course: Course, job: Job, result: WorkerResult, config: Config, with_feedback: bool) -> dict[str, Any]:
    try:
        return record(course, job, result, config, with_feedback)
    except Exception as exc:  # the gradebook write failed: report it, keep grading the others
        course.log.exception("recording %s failed", job.student)
        return {"student": job.student, "assignment": job.assignment, "status": "error", "score": 0.0,
                "max_score": 0.0, "runtime_s": result.runtime_s, "device": job.device,
                "detail": f"{type(exc).__name__}: {exc}"}


def summary_table(report: Report) -> str:
    """A plain-text table of the graded submissions, then the totals."""
    rows = [("student", "status", "score", "max", "seconds", "device", "flags")]
    for r in sorted(report.graded, key=lambda r: r["student"]):
        manual = "*" if r.get("needs_manual_grade") else ""
        flags = [f"{f['kind']}:{f['check']}" for f in r.get("flags", [])]
        flags += ["not-allowed:" + ",".join(sorted({u["cell"] for u in r["not_allowed"]}))] if r.get("not_allowed") else []
        rows.append((r["student"], r["status"], f"{r['score']:g}{manual}", f"{r['max_score']:g}",
                     f"{r['runtime_s']:.1f}" if r.get("runtime_s") is not None else "-", r.get("device", ""),
                     " ".join(flags)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.statuses.items()))
    lines.append("")
    lines.append(f"{report.assignment}: graded {len(report.graded)} ({counts or 'none'}), skipped {len(report.skipped)} "
                 f"already graded, in {report.seconds:.1f} s on {len(report.slots)} slot(s) "
                 f"[{', '.join(report.slots)}]" + (f", sandbox: {report.sandbox}" if report.sandbox else ""))
    if any(r.get("needs_manual_grade") for r in report.graded):
        lines.append("* answers waiting for a manual grade (nbgrader formgrader)")
    flagged = sorted(r["student"] for r in report.graded if r.get("flags"))
    if flagged:
        lines.append(f"flags to review (scores unchanged): {', '.join(flagged)}; see results/{report.assignment}/*.json")
    if report.regraded_alone:
        lines.append(f"out of GPU memory on a shared GPU, graded again alone: {', '.join(sorted(report.regraded_alone))}")
    if report.grades_csv:
        lines.append(f"grades exported to {report.grades_csv}")
    return "\n".join(lines)
