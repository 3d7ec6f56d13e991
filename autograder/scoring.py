"""Scores of grade cells by nbgrader's rules, what a student reads about one, and what a log line is.

nbgrader gives a grade cell zero points as soon as it writes anything to stderr, and
TensorFlow and PyTorch write log lines and warnings there: :func:`is_log_text` tells such text,
which :class:`autograder.preprocessors.IgnoreLogStderr` drops before scoring; anything else on
stderr (a printed traceback, a message) still counts as a failure, and an exception always does.
"""

from __future__ import annotations

import re

from nbformat import NotebookNode
from nbgrader import utils

from . import messages as msg
from .messages import DEFAULT_HINT, HINTS, STATUS_MESSAGES, status_message  # noqa: F401 (the old names)

_LOG_LINE = re.compile(
    r"""^(?:
        .*:\d+:\s*\w*Warning:.*                             # warnings.warn: file.py:12: UserWarning: ...
      | \w*Warning:\s.*                                     # UserWarning: ...
      | (?:WARNING|INFO|DEBUG)(?::|\s).*                    # logging's default format, absl
      | WARNING:\s*All\ log\ messages\ before\ absl.*       # absl before InitializeLog
      | [IWEF]\d{4}\s+\d\d:\d\d:\d\d.*                      # glog / absl C++ lines (TF, XLA)
      | \d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[.,\d]*:?\s+[IWE]\s.*  # TF's C++ lines with a date
      | \[W\s?\d.*\]\s.*                                    # PyTorch C++ warnings: [W 123 ...]
      | .*\d+%\|.*\|.*                                      # tqdm progress bars
      | \s+\S.*                                             # continuation: the source line of a warning
    )$""",
    re.VERBOSE,
)


def is_log_text(text: str) -> bool:
    """True when every non-blank line of ``text`` is a log line, a warning or a progress bar."""
    lines = [line for line in re.split(r"[\r\n]+", text) if line.strip()]
    if not lines or lines[0][0].isspace():  # a continuation needs a log line before it
        return False
    return all(_LOG_LINE.match(line) for line in lines)


def cell_score(cell: NotebookNode) -> tuple[float | None, float]:
    """``(score, max)`` by nbgrader's own rules (``None``: needs a manual grade)."""
    return utils.determine_grade(cell)


def threshold_points(value: float, full: float, zero: float, points: float) -> float:
    """Linear partial credit: all ``points`` at ``full``, none at ``zero``.

    Works both ways: ``full > zero`` for a metric to maximise (accuracy), ``full < zero`` for
    one to minimise (an error).
    """
    if full == zero:
        raise ValueError("full and zero must differ")
    fraction = (value - zero) / (full - zero)
    return round(points * min(1.0, max(0.0, fraction)), 4)


def error_of(cell: NotebookNode) -> tuple[str, str] | None:
    """``(ename, evalue)`` of the first failure in a code cell's outputs, if any."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", "Error"), str(out.get("evalue", ""))
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            last = [line for line in out.get("text", "").splitlines() if line.strip()]
            return "stderr", (last[-1] if last else "")
    return None


def cell_message(cell: NotebookNode, score: float | None, max_score: float) -> str:
    """What a student reads about one grade cell (texts in :mod:`autograder.messages`)."""
    if cell.cell_type != "code" or utils.is_solution(cell):
        if score is None:
            return msg.OPEN_ANSWER_PENDING
        if "checksum" in cell.metadata.get("nbgrader", {}) and cell.metadata.nbgrader["checksum"] == utils.compute_checksum(cell):
            return msg.NO_ANSWER
    if score is not None and score >= max_score:
        return msg.CORRECT
    failure = error_of(cell) if cell.cell_type == "code" else None
    if failure is None:
        if score is None:
            return msg.PENDING
        return msg.PARTIAL.format(score=score, max=max_score)
    ename, evalue = failure
    evalue = evalue.strip()
    if len(evalue) > 300:
        evalue = evalue[:297] + "..."
    what = msg.WROTE_STDERR if ename == "stderr" else ename
    detail = f"{what}: {evalue}" if evalue else what
    return msg.FAILED.format(detail=detail, hint=HINTS.get(ename, DEFAULT_HINT))
