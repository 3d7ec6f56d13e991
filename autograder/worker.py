"""A worker process: grade one submission in its own process, with its own kernel.

``python -m autograder.worker OUT_DIR/job.json`` reads the job (:mod:`autograder.job`), grades
it (:func:`autograder.pipeline.grade`: staging, the sandboxed and watched kernel, the checks)
and writes ``OUT_DIR/result.json`` (a :class:`autograder.results.WorkerResult`), atomically, last.
The gradebook is not touched: the parent process writes everything the worker returns.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .execute import GradingExecute
from .job import Job, read_job, write_job
from .pipeline import grade
from .results import STATUS_ORDER
from .staging import TooLarge, check_submission, clean_workdir, copy_plain_files, support_files, walk_files
from .watchdog import Watchdog

__all__ = ["STATUS_ORDER", "GradingExecute", "Job", "TooLarge", "Watchdog", "check_submission", "clean_workdir",
           "copy_plain_files", "grade", "main", "read_job", "support_files", "walk_files", "write_job"]


def main(job_file: str) -> int:
    """Entry point of a worker process."""
    job = read_job(job_file)
    os.environ.update(job.env)
    result = grade(job)
    tmp = Path(job.out_dir) / "result.json.tmp"
    tmp.write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    os.replace(tmp, Path(job.out_dir) / "result.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
