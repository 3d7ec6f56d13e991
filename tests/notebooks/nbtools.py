"""Shared helpers for the notebook tests: where the notebooks are, the scripts, nbgrader regions."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from types import ModuleType

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "source"
RELEASE = ROOT / "release"

SOLUTION = re.compile(r"BEGIN SOLUTION(.*?)END SOLUTION", re.S)
HIDDEN = re.compile(r"BEGIN HIDDEN TESTS(.*?)END HIDDEN TESTS", re.S)
DELIMITERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def source_notebooks() -> list[Path]:
    return sorted(p for p in SOURCE.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def ids(paths: list[Path]) -> list[str]:
    return [p.parent.name for p in paths]


def load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py`` (the scripts folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_script_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def secret_lines(nb: nbformat.NotebookNode) -> set[str]:
    """Lines a student must never see: solutions, hidden tests, reference written answers.

    Only lines that do not also appear outside those regions count (a visible line such as
    ``return w`` may legitimately repeat inside a solution).
    """
    secret, public = set(), set()
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        text = cell.source
        regions = SOLUTION.findall(text) + HIDDEN.findall(text)
        if cell.cell_type == "markdown" and meta.get("solution") and not regions:
            regions = [text]  # a written answer: nbgrader replaces the whole cell
        hidden = {line.strip() for region in regions for line in region.splitlines()}
        rest = text
        for region in regions:
            rest = rest.replace(region, "")
        public |= {line.strip() for line in rest.splitlines()}
        secret |= hidden
    return {line for line in secret - public
            if len(line) > 3 and not any(d in line for d in DELIMITERS)}


def kernel_env(assignment: str | None = None, *, fast: bool = True) -> dict[str, str]:
    """Environment of a kernel that runs a notebook as CI does: fast mode (``fast=False``: full
    size, as a student runs it), inline plots, and the kit without the names the assignment
    forbids (as the grader's kernels import it)."""
    from autograder.sandbox import course_kit

    env = dict(os.environ, COURSE_FAST="1", TF_CPP_MIN_LOG_LEVEL="2")
    if not fast:
        del env["COURSE_FAST"]
    env.pop("MPLBACKEND", None)
    kit = course_kit(ROOT, assignment) if assignment else None
    if kit:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(kit), env.get("PYTHONPATH")) if p)
    return env
