"""Check a test run's schedule: every notebook's cells on one worker, in order.

    COURSE_SCHEDULE_LOG=schedule.txt make test && python3 scripts/check_schedule.py schedule.txt

The log is written by the root ``conftest.py`` (one line per test: worker, node id, in the
order each worker started them). Prints one line per worker and exits 1 if a notebook was
split between workers or its cells ran out of order.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

CELL = re.compile(r"^(?P<path>.+\.ipynb)::Cell (?P<index>\d+)$")


def check(lines: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """``({worker: notebooks}, problems)`` from the log's lines."""
    workers: dict[str, set[str]] = defaultdict(set)
    cells: dict[str, list[int]] = defaultdict(list)
    for line in lines:
        worker, _, nodeid = line.strip().partition(" ")
        match = CELL.match(nodeid)
        if match:
            workers[match["path"]].add(worker)
            cells[match["path"]].append(int(match["index"]))
    problems = [f"{path} ran on {sorted(seen)}" for path, seen in sorted(workers.items()) if len(seen) > 1]
    problems += [f"{path}: cells out of order" for path, order in sorted(cells.items()) if order != sorted(order)]
    by_worker: dict[str, list[str]] = defaultdict(list)
    for path, seen in sorted(workers.items()):
        for worker in seen:
            by_worker[worker].append(Path(path).stem)
    return dict(by_worker), problems


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    by_worker, problems = check(Path(args[0]).read_text().splitlines())
    if not by_worker:
        print("schedule: no notebook cells in the log", file=sys.stderr)
        return 1
    for worker, notebooks in sorted(by_worker.items()):
        print(f"schedule: {worker}: {', '.join(notebooks)}")
    for problem in problems:
        print(f"schedule: FAILED: {problem}", file=sys.stderr)
    if not problems:
        total = sum(len(n) for n in by_worker.values())
        print(f"schedule: each of {total} notebooks ran on one worker, its cells in order")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
