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

When the source notebook has a grade cell whose id is the check's name (``final_model``), the
check's points go to that cell, so nbgrader's gradebook, ``grades.csv`` and feedback count them;
otherwise they only appear in the results JSON.

The metric is computed by :mod:`autograder.evaluate` in a fresh Python process that never ran
the student's code, from the saved model alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .scoring import threshold_points

FILENAME = "thresholds.toml"
_KEYS = {"model", "dataset", "validation", "split", "metric", "full", "zero", "points", "hint", "framework"}


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

    def describe(self) -> str:
        better = "≥" if self.full > self.zero else "≤"
        worse = "≤" if self.full > self.zero else "≥"
        return (f"{self.metric} en {self.split} de {self.dataset}: todos los puntos con {better} {self.full:g}, "
                f"ninguno con {worse} {self.zero:g}")


def load_checks(course_root: str | Path, assignment: str) -> list[Check]:
    """The checks of one assignment (``[]`` when the file or the assignment's table is absent)."""
    path = Path(course_root) / FILENAME
    if not path.exists():
        return []
    with open(path, "rb") as fh:
        table = tomllib.load(fh).get(assignment, {})
    checks = []
    for name, spec in table.items():
        if not isinstance(spec, dict):
            raise ValueError(f"{path}: [{assignment}.{name}] must be a table")
        unknown = set(spec) - _KEYS
        if unknown:
            raise ValueError(f"{path}: [{assignment}.{name}] has unknown keys {sorted(unknown)}")
        missing = {"model", "full", "zero", "points"} - set(spec)
        if missing:
            raise ValueError(f"{path}: [{assignment}.{name}] needs {sorted(missing)}")
        check = Check(name=name, **spec)
        if check.full == check.zero:
            raise ValueError(f"{path}: [{assignment}.{name}] full and zero must differ")
        checks.append(check)
    return checks


def evaluate(check: Check, workdir: str | Path, timeout: float = 600) -> dict[str, Any]:
    """Run :mod:`autograder.evaluate` on the check's model in a fresh process.

    Returns the evaluator's JSON: ``{"value": ..., "n": ...}`` or ``{"error": "..."}``.
    """
    workdir = Path(workdir).resolve()
    model = (workdir / check.model).resolve()
    if workdir not in model.parents:
        return {"error": f"la ruta del modelo {check.model!r} sale de la carpeta de la entrega"}
    if not model.exists():
        return {"error": f"no se encontró el archivo {check.model}"}
    cmd = [sys.executable, "-m", "autograder.evaluate", "--model", str(model), "--dataset", check.dataset,
           "--validation", str(check.validation), "--split", check.split, "--metric", check.metric,
           "--framework", check.framework]
    try:
        # cwd outside the submission: nothing there can shadow a module of the evaluator.
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=Path(__file__).parent.parent)
    except subprocess.TimeoutExpired:
        return {"error": f"la evaluación del modelo superó {timeout:g} s"}
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = (out.stderr.strip().splitlines() or ["sin salida"])[-1]
        return {"error": f"el evaluador falló: {tail}"}
    return json.loads(lines[-1])


def grade_check(check: Check, evaluation: dict[str, Any], max_points: float | None = None) -> dict[str, Any]:
    """Points and a Spanish message for one check, from the evaluator's answer."""
    points = check.points if max_points is None else max_points
    if "error" in evaluation:
        message = f"Sin puntos: {evaluation['error']}. Guarda tu modelo final en {check.model}."
        return {"score": 0.0, "max_score": points, "value": None, "message": message}
    value = float(evaluation["value"])
    score = threshold_points(value, check.full, check.zero, points)
    verdict = "Puntos completos" if score >= points else ("Crédito parcial" if score > 0 else "Sin puntos")
    message = (f"{verdict}: {check.metric} = {value:.4f} calculada por el corrector con tu {check.model} "
               f"({check.describe()}).")
    if score < points:
        message += " " + (check.hint or "Prueba con más épocas, regularización o una arquitectura algo mayor, "
                                        "y vigila la curva de validación.")
    return {"score": score, "max_score": points, "value": value, "message": message}


def as_dict(check: Check) -> dict[str, Any]:
    return asdict(check)
