"""Before a batch: prove that the grader's own environment can grade, or grade no one.

A fault of the grader's environment (a sandbox that hides the Python environment, a framework
that does not import, data that cannot be read, a ``/tmp`` the sandbox's user cannot write)
would otherwise reach every student as a crash and a zero. So one sandboxed kernel runs a
probe cell (import the kit and the frameworks the assignment's notebooks import, write ``/tmp``
and the home folder, draw a figure, read the data of the threshold checks), and, per threshold
check, the sandboxed evaluator measures a tiny model it builds itself. Both run at once; the
first failure stops the batch with a message for the instructor.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import re
import tempfile
from pathlib import Path

import nbformat

from . import sandbox as sbx
from . import thresholds

OK = "PREFLIGHT-OK"
_IMPORT = re.compile(r"^\s*(?:import|from)\s+(keras|tensorflow|torch)\b", re.MULTILINE)


class PreflightError(RuntimeError):
    """The grader's environment cannot grade this assignment; nobody was graded."""


def frameworks_of(source_dir: Path) -> list[str]:
    """The frameworks the assignment's source notebooks import (``keras``, ``tensorflow``, ``torch``)."""
    found: set[str] = set()
    for path in sorted(source_dir.glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # the instructor's own file: nbgrader will complain about it elsewhere
            continue
        for cell in nb.cells:
            if cell.cell_type == "code":
                found.update(_IMPORT.findall(cell.source))
    return sorted(found)


def probe_code(frameworks: list[str], datasets: list[tuple[str, float, str]]) -> str:
    """The probe cell: every line is something a student's notebook relies on."""
    lines = [
        "import importlib, os, tempfile",
        "import course",
        *(f"importlib.import_module({name!r})" for name in frameworks),
        "with tempfile.NamedTemporaryFile(dir=tempfile.gettempdir()) as fh: fh.write(b'x')",
        "home = os.path.expanduser('~'); os.makedirs(home, exist_ok=True)",
        "open(os.path.join(home, '.preflight'), 'w').write('x')",
        "import matplotlib.pyplot as plt",
        "plt.figure(); plt.plot([0, 1]); plt.savefig(os.path.join(tempfile.gettempdir(), 'preflight.png')); plt.close('all')",
        "from autograder.thresholds import load_split",
        *(f"load_split({name!r}, {validation!r}, {split!r})" for name, validation, split in datasets),
        f"print({OK!r})",
    ]
    return "\n".join(lines)


def _kernel_probe(code: str, sandbox: sbx.Sandbox | None, scratch: Path, gpu: bool, timeout: int) -> str | None:
    from .execute import GradingExecute

    work = scratch / "work"
    work.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    log = scratch / "kernel.log"
    with (sbx.sandbox_user() if sandbox else contextlib.nullcontext(None)) as uid:
        sbx.own_tree(work, uid)
        executor = GradingExecute(kernel_log=log, sandbox=sandbox, uid=uid, gpu=gpu, timeout=timeout,
                                  allow_errors=True)
        try:
            nb, _ = executor.preprocess(nb, {"metadata": {"path": str(work)}})
        except Exception as exc:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
            return f"the sandboxed kernel did not run ({type(exc).__name__}: {exc}) {' | '.join(tail)}".strip()
    outputs = nb.cells[0].get("outputs", [])
    for out in outputs:
        if out.get("output_type") == "error":
            return f"the probe cell failed in the sandboxed kernel: {out.get('ename')}: {out.get('evalue')}"
    if not any(OK in out.get("text", "") for out in outputs):
        return "the probe cell printed nothing in the sandboxed kernel"
    return None


def _evaluator_probe(check: thresholds.Check, sandbox: sbx.Sandbox | None, scratch: Path, env: dict[str, str],
                     gpu: bool, timeout: float, memory_limit: int | None) -> str | None:
    import numpy as np

    model_dir = scratch / "model"
    model_dir.mkdir(parents=True)
    X, _ = thresholds.load_split(check.dataset, check.validation, check.split)
    np.save(model_dir / "inputs.npy", X[:256].astype(np.float32))
    pred, error, fault = thresholds.run_evaluator(thresholds.framework_of(check), model_dir, "", scratch / "out",
                                                  sandbox=sandbox, env=env, gpu=gpu, timeout=timeout,
                                                  memory_limit=memory_limit, probe=True)
    problem = fault or error
    if problem is None and (pred is None or len(pred) != min(256, len(X))):
        problem = "the threshold evaluator gave no predictions for its probe model"
    return f"check {check.name!r} ({thresholds.framework_of(check)}): {problem}" if problem else None


def run(source_dir: Path, checks: list[thresholds.Check], sandbox: sbx.Sandbox | None, env: dict[str, str],
        gpu: bool = False, timeout: int = 300, memory_limit: int | None = None) -> None:
    """Raise :class:`PreflightError` (one line per failure) unless everything the batch needs works."""
    if sandbox is not None and os.geteuid() == 0:  # the sandbox runs as an unprivileged uid
        closed = sbx.unreadable(sandbox)
        if closed:
            raise PreflightError("preflight failed, nobody was graded: the sandbox's user cannot read the grader's "
                                 f"Python environment or data: {', '.join(closed)}. Make them readable by all "
                                 "(chmod a+rX), as a venv made by `python -m venv` normally is.")
    frameworks = frameworks_of(source_dir)
    frameworks += sorted({thresholds.framework_of(c) for c in checks} - set(frameworks))
    datasets = sorted({(c.dataset, c.validation, c.split) for c in checks})
    probes: dict[str, concurrent.futures.Future[str | None]] = {}
    with tempfile.TemporaryDirectory(prefix="autograder-preflight-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        scratch = Path(tmp)
        probes["kernel"] = pool.submit(_kernel_probe, probe_code(frameworks, datasets), sandbox, scratch / "kernel",
                                       gpu, timeout)
        seen: set[tuple[str, str, float, str]] = set()
        for index, check in enumerate(checks):
            key = (thresholds.framework_of(check), check.dataset, check.validation, check.split)
            if key not in seen:
                seen.add(key)
                probes[check.name] = pool.submit(_evaluator_probe, check, sandbox, scratch / f"check{index}", env, gpu,
                                                 timeout, memory_limit)
        problems = [problem for future in probes.values() if (problem := future.result()) is not None]
    if problems:
        where = "in the sandbox" if sandbox is not None else "without a sandbox"
        raise PreflightError("preflight failed, nobody was graded: the grader's environment cannot run the "
                             f"assignment {where}:\n  - " + "\n  - ".join(problems)
                             + "\nFix the environment (or run with --sandbox none to compare) and grade again.")
