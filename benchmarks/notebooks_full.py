"""Runs source notebooks at full size (no ``COURSE_FAST``) and prints one JSON line per notebook: its
seconds and every outcome claim its prose makes (``course.claim``), with the measured numbers and
whether it held.

The source notebook holds the solutions, so it runs top to bottom; its kernel gets the kit as the
grader's kernels do (``kernel_env`` of the notebook tests: without the names the assignment
forbids). A claim that does not hold raises in its cell; the run goes on to the end so that one
line reports every claim, and ``ok`` is false with the first error.

    python benchmarks/notebooks_full.py [04 05 06 07] [--fast] [--timeout 3600]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ["04", "05", "06", "07"]


def kernel_env(assignment: str, fast: bool) -> dict[str, str]:
    """``tests/notebooks/nbtools.kernel_env`` (the tests folder is not a package)."""
    spec = importlib.util.spec_from_file_location("_nbtools", ROOT / "tests" / "notebooks" / "nbtools.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    env: dict[str, str] = module.kernel_env(assignment, fast=fast)
    return env


def find_notebook(key: str) -> Path:
    """``04`` or ``04_activations`` -> ``source/04_activations/04_activations.ipynb``."""
    matches = sorted(p for p in (ROOT / "source").glob(f"{key}*/*.ipynb") if p.stem == p.parent.name)
    if len(matches) != 1:
        raise SystemExit(f"{key!r}: {len(matches)} source notebooks match")
    return matches[0]


def errors(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [{"cell": i, "ename": out.get("ename"), "evalue": out.get("evalue", "")[:500]}
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def run(path: Path, fast: bool, timeout: int) -> dict[str, Any]:
    from course.claims import ENV_CLAIMS_FILE, ENV_STRICT, read_claims

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        claims_file = Path(tmp) / "claims.jsonl"
        env = kernel_env(path.parent.name, fast)
        env[ENV_CLAIMS_FILE] = str(claims_file)
        env[ENV_STRICT] = "1"  # a claim that does not hold fails its cell (a student's own run only warns)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        failure = None
        try:
            client.execute(env=env)
        except Exception as exc:  # a cell past the timeout, a dead kernel
            failure = f"{type(exc).__name__}: {exc}"[:500]
        seconds = time.perf_counter() - start
        claims = [{k: c[k] for k in ("name", "values", "held", "checked")} for c in read_claims(claims_file)]
    found = errors(nb)
    error = failure or (f"cell {found[0]['cell']}: {found[0]['ename']}: {found[0]['evalue']}" if found else None)
    return {"notebook": path.parent.name, "fast": fast, "seconds": round(seconds, 1), "claims": claims,
            "ok": error is None and all(c["held"] or not c["checked"] for c in claims), "error": error, "errors": len(found)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", default=DEFAULT, help="numbers or folder names (default: 04 05 06 07)")
    parser.add_argument("--fast", action="store_true", help="COURSE_FAST=1 (a quick check of this script)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = parser.parse_args()
    ok = True
    for key in args.notebooks:
        result = run(find_notebook(key), args.fast, args.timeout)
        ok = ok and result["ok"]
        print(json.dumps(result, ensure_ascii=False), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
