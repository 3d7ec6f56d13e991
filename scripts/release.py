#!/usr/bin/env python3
"""Regenerate ``release/`` (the student notebooks) from ``source/`` with nbgrader.

For every assignment folder in ``source/`` this runs ``nbgrader generate_assignment NAME --force``
(which removes solutions and hidden tests, clears outputs, locks the test cells and records
checksums), then rewrites each generated notebook in nbformat's canonical form, so that the same
sources always give the same bytes. Release folders whose source is gone are removed.

    python scripts/release.py                   # regenerate release/ in place
    python scripts/release.py 01_perceptron     # only some assignments
    python scripts/release.py --output DIR      # generate into DIR instead (release/ untouched)
    python scripts/release.py --check           # exit 1 if release/ differs from a fresh generation

The gradebook nbgrader fills on the way is a throwaway one in a temporary folder: this script
only produces files. Grading uses its own course folder (see ``autograder``).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source"
RELEASE = ROOT / "release"


def assignments(source: Path = SOURCE) -> list[str]:
    """Names of the assignment folders in ``source/`` (those holding at least one notebook)."""
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")) and any(p.glob("*.ipynb")))


def normalize(path: Path) -> None:
    """Rewrite a notebook in nbformat's canonical form (sorted keys, final newline)."""
    nb = nbformat.read(path, as_version=4)
    text = nbformat.writes(nb)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def generate(output: Path, names: list[str] | None = None) -> list[str]:
    """Generate the student version of each assignment into ``output/<name>/``; return the names."""
    from autograder.course import use_environment_tools

    use_environment_tools()  # nbgrader runs `alembic` by name: this Python's, even in a venv not activated
    names = names or assignments()
    output = output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nbgrader-db-") as tmp:
        for name in names:
            if not (SOURCE / name).is_dir():
                raise SystemExit(f"no assignment source/{name}")
            cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force",
                   f"--CourseDirectory.root={ROOT}",
                   f"--CourseDirectory.release_directory={output}",
                   f"--CourseDirectory.db_url=sqlite:///{Path(tmp) / 'gradebook.db'}",
                   "--log-level=WARN"]
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                sys.stderr.write(done.stdout + done.stderr)
                raise SystemExit(f"nbgrader generate_assignment {name} failed")
            for notebook in sorted((output / name).rglob("*.ipynb")):
                normalize(notebook)
    return names


def differences(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two folder trees (missing on one side, or other bytes)."""
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()} if a.exists() else set()
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()} if b.exists() else set()
    diff = [f"only in {a.name}/: {p}" for p in sorted(files_a - files_b)]
    diff += [f"only in {b.name}/: {p}" for p in sorted(files_b - files_a)]
    diff += [f"differs: {p}" for p in sorted(files_a & files_b)
             if not filecmp.cmp(a / p, b / p, shallow=False)]
    return diff


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="assignments (default: every folder in source/)")
    parser.add_argument("--output", type=Path, help="generate here instead of release/")
    parser.add_argument("--check", action="store_true", help="compare release/ with a fresh generation")
    args = parser.parse_args(argv)

    if args.check:
        with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
            fresh = Path(tmp) / "release"
            generate(fresh, args.names)
            if args.names:
                diff = [d for n in args.names for d in differences(RELEASE / n, fresh / n)]
            else:
                diff = differences(RELEASE, fresh)
        for line in diff:
            print(line)
        if diff:
            print("release/ is stale: run python scripts/release.py", file=sys.stderr)
            return 1
        print("release/ matches a fresh generation")
        return 0

    if args.output:
        names = generate(args.output, args.names)
        print(f"generated {', '.join(names)} into {args.output}")
        return 0

    names = generate(RELEASE, args.names)
    if not args.names:
        for stale in sorted(p for p in RELEASE.iterdir() if p.is_dir() and p.name not in names):
            shutil.rmtree(stale)
            print(f"removed release/{stale.name} (no source)")
    print(f"generated release/{{{','.join(names)}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
