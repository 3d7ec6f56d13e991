"""Staging: a submission's files in, plain files out.

Bounds are checked before anything reads, hashes or copies a submission; the working folder is
the submission with the source's other files over it (as ``nbgrader autograde`` does); once the
kernel ended, only plain files stay in it, and only plain files leave it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Iterator

from . import messages as msg
from .job import Job
from .sandbox import Limits


def tree_size(path: Path, stop: int | None = None) -> tuple[int, int]:
    """``(entries, bytes)`` under ``path`` (symlinks not followed); stops counting past ``stop`` entries."""
    total = count = 0
    for root, dirs, files in os.walk(path):
        count += len(dirs) + len(files)
        if stop is not None and count > stop:
            break
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return count, total


class TooLarge(Exception):
    """A submission past one of the grader's bounds; the message says which, in Spanish."""


def walk_files(src: Path, ignore: list[str], limit: int | None = None) -> Iterator[tuple[Path, bool]]:
    """``(relative path, is_symlink)`` of the regular files and symlinks under ``src``, sorted;
    symlinked folders are listed, never entered. Past ``limit`` entries (files and folders,
    ignored ones too) it raises :class:`TooLarge` instead of walking on."""
    seen = 0
    for root, dirs, files in os.walk(src):
        seen += len(dirs) + len(files)
        if limit is not None and seen > limit:
            raise TooLarge(msg.TOO_MANY_ENTRIES.format(limit=limit))
        base = Path(root)
        dirs[:] = sorted(d for d in dirs if not any(fnmatch(d, p) for p in ignore))
        links = [d for d in dirs if (base / d).is_symlink()]
        dirs[:] = [d for d in dirs if d not in links]
        for name in sorted(files + links):
            path = base / name
            if any(fnmatch(name, p) for p in ignore):
                continue
            if path.is_symlink():
                yield path.relative_to(src), True
            elif path.is_file():
                yield path.relative_to(src), False


def check_submission(folder: Path, ignore: list[str], limits: Limits) -> None:
    """Raise :class:`TooLarge` when a submission holds too many files or bytes, before anything
    reads, hashes or copies it."""
    total = 0
    for rel, link in walk_files(folder, ignore, limits.files):
        if not link:
            with contextlib.suppress(OSError):
                total += os.lstat(folder / rel).st_size
            if limits.disk is not None and total > limits.disk:
                raise TooLarge(msg.TOO_MANY_BYTES.format(limit_mib=limits.disk / msg.MiB))


def clean_workdir(work: Path, keep: list[str], limits: Limits) -> list[str]:
    """After the kernel ended: leave only plain files in the working folder; say what went.

    Walked without following links: symlinks, hard links (a file with another name anywhere),
    FIFOs, sockets and devices are removed before any trusted code reads or copies the folder.
    Past the file or byte bounds only ``keep`` (notebooks, models of the checks) stays."""
    dropped: list[str] = []
    count = total = 0
    stack, found = [work], []
    while stack:  # every entry's status first: removing one name of a hard link changes the other's
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                names = [entry.name for entry in entries]
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            dropped.append(msg.UNREADABLE_FOLDER.format(folder=folder.relative_to(work)))
            continue
        for name in names:
            path = folder / name
            try:
                info = os.lstat(path)
            except OSError:
                continue
            count += 1
            if stat.S_ISDIR(info.st_mode):
                stack.append(path)
            else:
                found.append((path, info))
    for path, info in found:
        if stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
            total += info.st_size
            continue
        kind = msg.ENTRY_KINDS["symlink" if stat.S_ISLNK(info.st_mode) else
                               "hardlink" if stat.S_ISREG(info.st_mode) else "special"]
        with contextlib.suppress(OSError):
            path.unlink()
        dropped.append(f"{path.relative_to(work)} ({kind})")
    notes = []
    if dropped:
        shown = ", ".join(dropped[:10]) + (msg.AND_MORE.format(count=len(dropped) - 10) if len(dropped) > 10 else "")
        notes.append(msg.NOT_PLAIN_DROPPED.format(shown=shown))
    if (limits.files is not None and count > limits.files) or (limits.disk is not None and total > limits.disk):
        kept = {work / rel for rel in keep}
        for root, dirs, files in os.walk(work, topdown=False):
            for name in files:
                if Path(root) / name not in kept:
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(root, name))
            for name in dirs:
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.join(root, name))
        notes.append(msg.TOO_MANY_FILES_LEFT)
    return notes


def copy_plain_files(src: Path, dest: Path) -> None:
    """Copy the regular files under ``src`` to ``dest``; links and special files never cross."""
    for root, _, files in os.walk(src):
        for name in files:
            path = Path(root) / name
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(path).st_mode):
                    target = dest / path.relative_to(src)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target, follow_symlinks=False)


def support_files(job: Job) -> list[Path]:
    """The source's files that go over the submission (relative): all but its notebooks, the
    ignored names and ``exclude_overwriting``, as ``nbgrader autograde`` does. The instructor's
    symlinks to files count (they are followed); symlinked folders are not entered."""
    source = Path(job.source_dir)
    if not source.is_dir():
        return []
    return [rel for rel, _ in walk_files(source, job.ignore)
            if rel.suffix != ".ipynb" and str(rel) not in job.exclude_overwriting and (source / rel).is_file()]


def _place(src: Path, target: Path, copy: Any = shutil.copyfile) -> None:
    """Copy ``src`` to ``target``, replacing a file or a symlink already there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() or target.is_symlink():
        target.unlink()
    copy(src, target)


def prepare_workdir(job: Job, work: Path) -> list[str]:
    """The submission, then the source's other files over it (as ``nbgrader autograde`` does).

    The submission's regular files are copied without their mode bits; its symlinks (which could
    point at the grader's files) are left out and returned."""
    work.mkdir(parents=True, exist_ok=True)
    submission = Path(job.submission_dir)
    skipped = []
    for rel, link in walk_files(submission, job.ignore):
        if link:
            skipped.append(str(rel))
        else:
            _place(submission / rel, work / rel)
    for rel in support_files(job):
        _place(Path(job.source_dir) / rel, work / rel, copy=shutil.copy2)
    return skipped
