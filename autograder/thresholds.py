"""Metric thresholds per assignment, read from ``COURSE_DIR/thresholds.toml``.

One table per check, keyed by assignment then check name::

    [07_regularization.final_model]
    model = "final_model.keras"     # path inside the submission folder, after the notebook ran
    dataset = "fashion_mnist"       # the grader's own copy of the data (course.datasets)
    validation = 0.2                # how the grader splits it
    split = "valid"
    metric = "accuracy"
    full = 0.90                     # all the points at or beyond this value
    zero = 0.85                     # none at or below this one; linear in between
    points = 10
    leak_split = "test"             # also measured here; a gap beyond leak_gap flags the submission
    leak_gap = 0.03

An assignment's own keys sit in its table (``[07_regularization]``): ``forbid``, the kit's names
that its kernels go without (see :mod:`autograder.restrict`).

When the source notebook has a grade cell whose id is the check's name (``final_model``), the
check's points go to that cell, so nbgrader's gradebook, ``grades.csv`` and feedback count them;
otherwise they only appear in the results JSON.

How a model is measured (:func:`evaluate`): the files the loader needs (the model; for PyTorch
its weights and config) are copied out of the working folder only if each is a regular file of
its own within the size bound, never through a link. :mod:`autograder.evaluate` loads that copy
in the sandbox (its own uid, no network, nothing writable but its ``/tmp`` and an output folder,
its own memory and time limits) and writes its predictions for the grader's inputs; the metric is
computed here, against labels the sandbox never sees. An evaluator that cannot even start (before
it touches the model) is the grader's fault, reported as such, never the student's zero.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil
import stat
import sys
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from course.datasets.registry import DATASETS as REGISTRY
from course.datasets.registry import get_dataset

from . import messages as msg
from .scoring import threshold_points

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

if TYPE_CHECKING:
    from .sandbox import Limits, Sandbox

FILENAME = "thresholds.toml"
_KEYS = {"model", "dataset", "validation", "split", "metric", "full", "zero", "points", "hint", "framework",
         "leak_split", "leak_gap"}
ASSIGNMENT_KEYS = {"forbid"}


@dataclass(frozen=True)
class Check:
    name: str
    model: str
    full: float
    zero: float
    points: float
    dataset: str = "fashion_mnist"
    validation: float = 5000
    split: str = "valid"
    metric: str = "accuracy"
    framework: str = "auto"
    hint: str = ""
    leak_split: str = ""  # a second split measured for the leak flag ("" : none)
    leak_gap: float = 0.03  # how far the check's split may beat leak_split before the flag

    def describe(self) -> str:
        better = "≥" if self.full > self.zero else "≤"
        worse = "≤" if self.full > self.zero else "≥"
        return msg.THRESHOLD_DESCRIBE.format(metric=self.metric, split=self.split, dataset=self.dataset,
                                             better=better, full=self.full, worse=worse, zero=self.zero)


def _table(course_root: str | Path, assignment: str) -> tuple[Path, dict[str, Any]]:
    path = Path(course_root) / FILENAME
    if not path.exists():
        return path, {}
    with open(path, "rb") as fh:
        return path, tomllib.load(fh).get(assignment, {})


def check_tables(course_root: str | Path, assignment: str) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The assignment's check tables (``[ASSIGNMENT.NAME]``), by name; its own keys left out."""
    path, table = _table(course_root, assignment)
    found = {}
    for name, spec in table.items():
        if name in ASSIGNMENT_KEYS:
            continue
        if not isinstance(spec, dict):
            raise ValueError(f"{path}: [{assignment}.{name}] must be a table (the assignment's own keys are "
                             f"{sorted(ASSIGNMENT_KEYS)})")
        found[name] = spec
    return path, found


def parse_check(name: str, spec: dict[str, Any], where: str) -> Check:
    """A threshold check from its table (``where`` names it in errors: ``FILE: [ASSIGNMENT.NAME]``)."""
    spec = {k: v for k, v in spec.items() if k != "kind"}
    unknown = set(spec) - _KEYS
    if unknown:
        raise ValueError(f"{where} has unknown keys {sorted(unknown)}")
    missing = {"model", "full", "zero", "points"} - set(spec)
    if missing:
        raise ValueError(f"{where} needs {sorted(missing)}")
    check = Check(name=name, **spec)
    if check.full == check.zero:
        raise ValueError(f"{where} full and zero must differ")
    if check.leak_split and check.leak_split not in SPLITS:
        raise ValueError(f"{where} leak_split must be one of {SPLITS}")
    return check


def load_checks(course_root: str | Path, assignment: str) -> list[Check]:
    """The threshold checks of one assignment (``[]`` when the file or the assignment's table is
    absent); tables of another ``kind`` (see :mod:`autograder.checks`) are left to their class."""
    path, tables = check_tables(course_root, assignment)
    return [parse_check(name, spec, f"{path}: [{assignment}.{name}]") for name, spec in tables.items()
            if spec.get("kind", "threshold") == "threshold"]


def load_forbid(course_root: str | Path, assignment: str) -> list[str]:
    """The kit's names that ``assignment``'s kernels go without (``forbid`` in its table)."""
    path, table = _table(course_root, assignment)
    forbid = table.get("forbid", [])
    if not isinstance(forbid, list) or not all(isinstance(n, str) for n in forbid):
        raise ValueError(f"{path}: [{assignment}] forbid must be a list of names like \"course.solutions\"")
    return sorted(set(forbid))


# The datasets a check can name: those of course.datasets' registry that have splits
# ("fashion_mnist" and "fashion-mnist" alike).
DATASETS = tuple(name for name, entry in REGISTRY.items() if entry.splits is not None)
SPLITS = ("train", "valid", "test")
METRICS = ("accuracy", "mse", "mae")
INSIDE_MODEL = "/model"  # the checked copies and the inputs, read-only in the sandbox
INSIDE_OUT = "/out"  # where the evaluator writes its predictions


def framework_of(check: Check) -> str:
    """``keras`` or ``torch``: the check's, else by the suffix of the declared name (never a link's target)."""
    if check.framework != "auto":
        return check.framework
    return "keras" if PurePosixPath(check.model).suffix in (".keras", ".h5") else "torch"


def model_files(check: Check) -> list[str]:
    """The files the check's loader opens, relative to the submission: a ``.keras`` file, or a
    PyTorch model's ``.pt`` weights and ``.json`` config (``course.torch.save_model``'s pair)."""
    path = PurePosixPath(check.model)
    if framework_of(check) == "keras":
        return [str(path)]
    stem = path.with_suffix("") if path.suffix in (".pt", ".json") else path
    return [f"{stem}.pt", f"{stem}.json"]


def stage_file(work: Path, rel: str, dest: Path, max_bytes: int | None) -> str | None:
    """Copy ``work/rel`` to ``dest`` if it is a plain file; else a Spanish reason (``None``: copied).

    No component of the path may be a link; the file must be regular, with no other name (hard
    link), within ``max_bytes``. It is opened without following links or blocking (a FIFO)."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
        return msg.MODEL_ESCAPES.format(rel=rel)
    current = work
    for index, part in enumerate(parts):
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return msg.FILE_NOT_FOUND.format(rel=rel)
        except OSError as exc:
            return msg.FILE_UNREADABLE.format(rel=rel, error=type(exc).__name__)
        if stat.S_ISLNK(info.st_mode):
            return msg.FILE_IS_LINK.format(rel=rel)
        if index < len(parts) - 1 and not stat.S_ISDIR(info.st_mode):
            return msg.FILE_NOT_FOUND.format(rel=rel)
    if not stat.S_ISREG(info.st_mode):
        return msg.FILE_NOT_REGULAR.format(rel=rel)
    if info.st_nlink != 1:
        return msg.FILE_HARD_LINKED.format(rel=rel)
    if max_bytes is not None and info.st_size > max_bytes:
        return msg.FILE_TOO_BIG.format(rel=rel, size_mib=info.st_size / msg.MiB, limit_mib=max_bytes / msg.MiB)
    fd = os.open(current, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as src:
        opened = os.fstat(src.fileno())
        if (opened.st_ino, opened.st_dev) != (info.st_ino, info.st_dev) or not stat.S_ISREG(opened.st_mode):
            return msg.FILE_CHANGED.format(rel=rel)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "wb") as out:
            shutil.copyfileobj(src, out, length=1 << 20)
    return None


def load_split(dataset: str, validation: float, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The grader's own ``(X, y)``: ``split`` is ``train``, ``valid`` or ``test``."""
    entry = get_dataset(dataset)
    if entry.splits is None:
        raise ValueError(f"dataset {dataset!r} has no train/valid/test splits; expected one of {DATASETS}")
    splits = entry.splits(validation)
    part = {"train": splits[0], "valid": splits[1], "test": splits[2]}[split]
    return np.asarray(part[0]), np.asarray(part[1])


def metric(name: str, y: np.ndarray, pred: np.ndarray) -> float:
    """The check's metric of predictions ``pred`` (probabilities, logits or values) against ``y``."""
    if name == "accuracy":
        if pred.ndim == 2 and pred.shape[1] > 1:
            labels = pred.argmax(axis=1)
        else:  # one output: a probability or a logit of the positive class
            flat = pred.reshape(len(pred))
            labels = (flat > (0.5 if flat.min() >= 0 and flat.max() <= 1 else 0.0)).astype(int)
        return float(np.mean(labels == y.reshape(len(y))))
    diff = pred.reshape(len(pred), -1)[:, 0] - y.reshape(len(y))
    if name == "mse":
        return float(np.mean(diff ** 2))
    if name == "mae":
        return float(np.mean(np.abs(diff)))
    raise ValueError(f"unknown metric {name!r}; expected one of {METRICS}")


def _clean(text: str, limit: int = 300) -> str:
    """A message from the sandbox, fit to show: printable characters only, and short."""
    text = re.sub(r"[^\S ]+", " ", str(text))
    text = "".join(ch for ch in text if ch.isprintable())
    return text[:limit].strip()


def _replies(stdout: str) -> list[dict[str, Any]]:
    found = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                found.append(value)
    return found


def run_evaluator(framework: str, model_dir: Path, model_name: str, out_dir: Path, *, sandbox: Sandbox | None,
                  env: dict[str, str], gpu: bool, timeout: float, memory_limit: int | None, probe: bool = False,
                  ) -> tuple[np.ndarray | None, str | None, str | None]:
    """Run :mod:`autograder.evaluate` on ``model_dir`` (the model's copies and ``inputs.npy``).

    Returns ``(predictions, student_error, grader_fault)``: one of the three is set."""
    from . import sandbox as sbx

    out_dir.mkdir(parents=True, exist_ok=True)
    if sandbox is not None:  # no data at all in there: the labels stay with the grader
        sandbox = dataclasses.replace(sandbox, data=[], hide=[*sandbox.hide, *sbx.dataset_dirs()])
    inside_model, inside_out = (INSIDE_MODEL, INSIDE_OUT) if sandbox else (str(model_dir), str(out_dir))
    argv = [sys.executable, "-m", "autograder.evaluate", "--framework", framework,
            "--inputs", f"{inside_model}/inputs.npy", "--out", f"{inside_out}/predictions.npy"]
    argv += ["--probe"] if probe else ["--model", f"{inside_model}/{model_name}"]
    done = sbx.run_contained(argv, sandbox=sandbox, scratch=out_dir.parent / f"{out_dir.name}-run", env=env,
                             binds=[(model_dir, INSIDE_MODEL, False), (out_dir, INSIDE_OUT, True)], chdir="/tmp",
                             timeout=timeout, memory_limit=memory_limit, gpu=gpu)
    replies = _replies(done.stdout)
    if {"ready": True} not in replies:  # it failed before it touched the model: not the student's doing
        why = done.killed or _clean((done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1])
        return None, None, f"the threshold evaluator did not start ({why})"
    if done.killed == "timeout":
        return None, msg.EVALUATION_TIMEOUT.format(seconds=timeout), None
    if done.killed == "memory":
        return None, msg.EVALUATION_MEMORY.format(limit_gib=(memory_limit or 0) / 2**30), None
    errors = [r["error"] for r in replies if isinstance(r.get("error"), str)]
    if errors:
        return None, msg.EVALUATION_FAILED.format(error=_clean(errors[-1])), None
    predictions = out_dir / "predictions.npy"
    try:
        info = os.lstat(predictions)
        if not stat.S_ISREG(info.st_mode) or info.st_size > 256 * 2**20:
            raise ValueError("not a plain file of predictions")
        pred = np.load(predictions, allow_pickle=False)
    except (OSError, ValueError) as exc:
        return None, msg.NO_VALID_PREDICTIONS.format(code=done.returncode, error=_clean(str(exc), 120)), None
    return pred, None, None


def evaluate(check: Check, workdir: str | Path, scratch: str | Path, *, sandbox: Sandbox | None = None,
             env: dict[str, str] | None = None, gpu: bool = False, timeout: float = 600,
             memory_limit: int | None = None, limits: Limits | None = None) -> dict[str, Any]:
    """Measure the check's model: ``{"value": ..., "n": ...}``, ``{"error": "..."}`` (the model's
    fault, in Spanish) or ``{"fault": "..."}`` (the grader's; the submission is graded again)."""
    from .sandbox import Limits

    limits = limits or Limits()
    work, scratch = Path(workdir), Path(scratch)
    model_dir = scratch / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    for rel in model_files(check):
        problem = stage_file(work, rel, model_dir / PurePosixPath(rel).name, limits.model)
        if problem is not None:
            return {"error": problem}
    X, y = load_split(check.dataset, check.validation, check.split)
    parts = [(X, y)]
    if check.leak_split:  # one run of the evaluator predicts both splits, in one array
        parts.append(load_split(check.dataset, check.validation, check.leak_split))
    np.save(model_dir / "inputs.npy", np.concatenate([p[0] for p in parts]).astype(np.float32))
    pred, error, fault = run_evaluator(framework_of(check), model_dir, PurePosixPath(check.model).name,
                                       scratch / "out", sandbox=sandbox, env=env or dict(os.environ), gpu=gpu,
                                       timeout=timeout, memory_limit=memory_limit)
    if fault is not None:
        return {"fault": fault}
    if error is not None or pred is None:
        return {"error": error or msg.NO_PREDICTIONS}
    n = len(y)
    if len(pred) != sum(len(p[1]) for p in parts):
        return measure(check.metric, y, pred)  # the wrong number of predictions: measure() says so
    result = measure(check.metric, y, pred[:n])
    if check.leak_split and "value" in result:
        other = measure(check.metric, parts[1][1], pred[n:])
        if "value" in other:
            result["leak"] = {"split": check.leak_split, "value": other["value"], "n": other["n"]}
    return result


def leak_flag(check: Check, evaluation: dict[str, Any]) -> dict[str, Any] | None:
    """A flag for an instructor when the check's split beats ``leak_split`` by more than ``leak_gap``.

    The grader's validation images are public: a model trained on them (or on all the training
    images) scores far better there than on images it never saw. A flag never changes the score."""
    leak = evaluation.get("leak")
    if not check.leak_split or not leak or "value" not in evaluation:
        return None
    better = 1.0 if check.full > check.zero else -1.0  # accuracy up, errors down
    gap = better * (float(evaluation["value"]) - float(leak["value"]))
    if gap <= check.leak_gap:
        return None
    message = msg.LEAK.format(metric=check.metric, split=check.split, value=evaluation["value"],
                              leak_split=check.leak_split, leak_value=leak["value"], gap=gap, leak_gap=check.leak_gap)
    return {"kind": "leak", "check": check.name, "message": message, "gap": round(gap, 4),
            "values": {check.split: evaluation["value"], check.leak_split: leak["value"]}}


def measure(metric_name: str, y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    """The metric of the evaluator's predictions, checked first (shape, type, finite values)."""
    if pred.dtype.kind not in "fiub" or pred.ndim not in (1, 2) or len(pred) != len(y):
        return {"error": msg.BAD_PREDICTION_SHAPE.format(shape=tuple(pred.shape), n=len(y))}
    if pred.ndim == 2 and pred.shape[1] > 10_000:
        return {"error": msg.TOO_MANY_OUTPUTS.format(outputs=pred.shape[1])}
    pred = pred.astype(np.float64)
    if not np.isfinite(pred).all():
        return {"error": msg.NOT_FINITE}
    value = metric(metric_name, y, pred)
    if not math.isfinite(value):
        return {"error": msg.METRIC_NOT_FINITE}
    return {"value": value, "n": int(len(y))}


def grade_check(check: Check, evaluation: dict[str, Any], max_points: float | None = None) -> dict[str, Any]:
    """Points and a Spanish message for one check, from the evaluator's answer."""
    points = check.points if max_points is None else max_points
    if "error" in evaluation:
        message = msg.THRESHOLD_NO_POINTS.format(error=evaluation["error"], model=check.model)
        return {"score": 0.0, "max_score": points, "value": None, "message": message}
    value = float(evaluation["value"])
    score = threshold_points(value, check.full, check.zero, points)
    verdict = msg.THRESHOLD_VERDICTS["full" if score >= points else ("partial" if score > 0 else "none")]
    message = msg.THRESHOLD_SCORED.format(verdict=verdict, metric=check.metric, value=value, model=check.model,
                                          describe=check.describe())
    if score < points:
        message += " " + (check.hint or msg.THRESHOLD_HINT)
    return {"score": score, "max_score": points, "value": value, "message": message}


def as_dict(check: Check) -> dict[str, Any]:
    return asdict(check)
