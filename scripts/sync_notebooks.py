#!/usr/bin/env python3
"""Stamp the standard first cells on every source notebook, and strip outputs.

Each notebook in ``source/<assignment>/`` declares its title and the kit's extras it needs in
its metadata::

    "metadata": {"course": {"title": "01 · El perceptrón", "extras": []}, ...}

From that, and from ``course/meta.py`` (the repository address), this script writes the two
first cells: the title with the "Open in Colab" badge (pointing at the release notebook), then
the setup cell. It also clears outputs and execution counts and normalizes the kernel metadata,
so source notebooks are committed clean and byte-stable.

    python scripts/sync_notebooks.py            # rewrite every source notebook in place
    python scripts/sync_notebooks.py --check    # exit 1 listing notebooks that are out of sync
    python scripts/sync_notebooks.py source/02_mlp_keras/02_mlp_keras.ipynb \\
        --title "02 · Redes densas con Keras" --extras keras   # declare (or change) a notebook's header
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from course import meta

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source"
TITLE_ID, SETUP_ID = "course-title", "course-setup"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# Metadata that Jupyter or nbclient add on every run and that only makes diffs noisy.
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")


def source_notebooks(root: Path = SOURCE) -> list[Path]:
    """Every ``source/<assignment>/*.ipynb`` (checkpoints excluded), sorted."""
    return sorted(p for p in root.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def synced(nb: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    """A copy of ``nb`` with the standard header cells, no outputs and normalized metadata."""
    nb = nbformat.from_dict(nb)
    info = nb.metadata.get("course")
    if not info or "title" not in info:
        raise ValueError(f"{path}: no metadata.course.title; declare it with --title (and --extras)")
    extras = list(info.get("extras", []))
    assignment = path.parent.name
    title = nbformat.v4.new_markdown_cell(meta.title_cell(info["title"], assignment, path.name), id=TITLE_ID)
    setup = nbformat.v4.new_code_cell(meta.setup_cell(extras), id=SETUP_ID)
    body = [cell for cell in nb.cells if cell.get("id") not in (TITLE_ID, SETUP_ID)]
    nb.cells = [title, setup, *body]
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata["course"] = {"title": info["title"], "extras": sorted(set(extras))}
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for key in ("widgets", "toc", "varInspector"):
        nb.metadata.pop(key, None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    """The notebook as nbformat writes it (sorted keys, one-space indent, final newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def sync(path: Path, check: bool = False) -> bool:
    """Bring one notebook in sync; return True if it was already (``check`` only looks)."""
    text = path.read_text(encoding="utf-8")
    expected = render(synced(nbformat.reads(text, as_version=4), path))
    if text == expected:
        return True
    if not check:
        path.write_text(expected, encoding="utf-8")
    return False


def declare(path: Path, title: str, extras: list[str]) -> None:
    """Set a notebook's ``metadata.course`` (creating an empty notebook if there is none)."""
    if path.exists():
        nb = nbformat.read(path, as_version=4)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.v4.new_notebook()
    nb.metadata["course"] = {"title": title, "extras": sorted(set(extras))}
    path.write_text(render(nb), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every source notebook")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if out of sync")
    parser.add_argument("--title", help="set the title of the notebook(s) given")
    parser.add_argument("--extras", nargs="*", default=None, help="kit extras the notebook needs (keras, torch...)")
    args = parser.parse_args(argv)

    paths = [p.resolve() for p in args.notebooks] or source_notebooks()
    if args.title is not None or args.extras is not None:
        if args.check or not args.notebooks:
            parser.error("--title/--extras need explicit notebooks and no --check")
        for path in paths:
            info = nbformat.read(path, as_version=4).metadata.get("course", {}) if path.exists() else {}
            title = args.title if args.title is not None else info.get("title")
            if not title:
                parser.error(f"{path}: give a --title")
            declare(path, title, args.extras if args.extras is not None else info.get("extras", []))

    stale = []
    for path in paths:
        try:
            ok = sync(path, check=args.check)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if not ok:
            stale.append(path)
    for path in stale:
        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"{'out of sync' if args.check else 'synced'}: {where}")
    if args.check and stale:
        print("run: python scripts/sync_notebooks.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
