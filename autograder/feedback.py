"""Per-student feedback: nbgrader's HTML, without hidden tests, opened by a Spanish summary."""

from __future__ import annotations

import contextlib
import html
import re
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat import NotebookNode
from nbgrader.converters import GenerateFeedback
from nbgrader.preprocessors import GetGrades, NbGraderPreprocessor
from traitlets import List, Unicode
from traitlets.config import Config

from . import messages as msg
from .course import Course
from .preprocessors.hidden import HiddenTests


class HideHiddenTests(HiddenTests):
    """nbgrader's ``ClearHiddenTests`` for feedback: the regions go (a note instead), and the
    failures of a cell that held them show only the error line.

    nbgrader's own feedback shows the hidden tests, which the autograded notebook holds again
    because the test cells are restored from the source. A traceback would quote the failing
    hidden line, so it is reduced to ``ename: evalue``. The delimiters are the course's
    (``c.ClearHiddenTests.begin_test_delimeter``/``end_test_delimeter``).
    """

    display_data_priority = List(GetGrades.display_data_priority.default_value).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any], index: int) -> tuple[NotebookNode, dict[str, Any]]:
        if not self.holds(cell):
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
            cell.source = cell.source.rstrip() + "\n" + msg.HIDDEN_TESTS_NOTE
        except RuntimeError:  # a region never closed: nothing of the cell is shown
            cell.source = msg.HIDDEN_TESTS_NOTE
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources


class SpanishSummary(NbGraderPreprocessor):
    """Insert the grader's summary (Markdown) as the first cell."""

    markdown = Unicode("").tag(config=True)
    display_data_priority = List(GetGrades.display_data_priority.default_value).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        if self.markdown:
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(self.markdown))
        return nb, resources


def _md(text: str) -> str:
    """Text the grader copies into its Markdown (messages quote the student's errors): HTML
    escaped, one line, and no table delimiters."""
    return html.escape(str(text)).replace("|", "\\|").replace("\n", " ").replace("`", "&#96;")


# Feedback pages run no script and load nothing from elsewhere: styles and inline images only.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


def add_csp(page: str) -> str:
    """The page with a Content-Security-Policy ``<meta>`` as the first element of its ``<head>``."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    match = _HEAD.search(page)
    if match is None:
        return f"<head>{meta}</head>" + page
    return page[:match.end()] + meta + page[match.end():]


def summary_markdown(result: dict[str, Any]) -> str:
    """What passed, what failed and what to try, in Spanish, from a results JSON."""
    lines = [msg.SUMMARY_TITLE.format(score=result["score"], max=result["max_score"]), ""]
    lines.append(msg.SUMMARY_STATUS.format(message=_md(result["message"])))
    if result.get("late_penalty"):
        lines.append(msg.SUMMARY_LATE.format(penalty=result["late_penalty"]))
    lines += ["", *msg.SUMMARY_TABLE_HEAD]
    for entry in result["checks"]:
        points = msg.SUMMARY_PENDING if entry["manual"] and entry["points"] is None else \
            f"{entry['points'] or 0:g} / {entry['max']:g}"
        lines.append(f"| {_md(entry['name'])} | {points} | {_md(entry['message'])} |")
    failed = [e for e in result["checks"] if e["points"] is not None and e["points"] < e["max"]]
    passed = [e for e in result["checks"] if e["points"] is not None and e["points"] >= e["max"]]
    lines += ["", msg.SUMMARY_PASSED.format(names=", ".join(_md(e["name"]) for e in passed) or msg.SUMMARY_NOTHING_YET),
              msg.SUMMARY_FAILED.format(names=", ".join(_md(e["name"]) for e in failed) or msg.SUMMARY_NOTHING)]
    if failed:
        lines.append(msg.SUMMARY_ADVICE)
    if result.get("not_allowed"):
        lines += ["", msg.SUMMARY_NOT_ALLOWED]
        lines += [f"- {_md(u['notebook'])}, {_md(u['cell'])}: {_md(u['message'])}" for u in result["not_allowed"]]
    if result.get("flags"):
        lines += ["", msg.SUMMARY_FLAGS]
        lines += [f"- {_md(flag['message'])}" for flag in result["flags"]]
    return "\n".join(lines)


def generate(course: Course, assignment: str, student: str, result: dict[str, Any]) -> None:
    """nbgrader's ``generate_feedback`` for one student, with our two preprocessors."""
    config = Config()
    config.merge(course.config)
    config.HTMLExporter.template_name = "feedback"
    # nbconvert's SanitizeHTML (bleach) on the student's Markdown and outputs, before our own summary goes in.
    config.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, SanitizeHTML, SpanishSummary,
                                             CSSHTMLHeaderPreprocessor]
    config.SanitizeHTML.enabled = True  # nbconvert's preprocessors are off unless enabled
    config.HTMLExporter.sanitize_html = True  # and the exporter's own pass over the outputs
    config.SpanishSummary.markdown = summary_markdown(result)
    with course._at(assignment_id=assignment, student_id=student, notebook_id="*"):
        app = GenerateFeedback(coursedir=course.coursedir, config=config, log=course.log)
        app.force = True
        app.start()
    secure_folder(course.path("feedback", student, assignment),
                  {p.stem for p in course.path("autograded", student, assignment).glob("*.ipynb")})


def secure_folder(folder: Path, notebooks: set[str]) -> None:
    """Keep in a feedback folder only the notebooks' pages (with the CSP) and nbgrader's timestamp.

    nbgrader copies every other file of the graded submission there too: a student's own
    ``.html`` or ``.svg`` would then be opened from the same place as the feedback, script and all."""
    keep = {f"{name}.html" for name in notebooks} | {"timestamp.txt"}
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir() and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.rmdir()  # only once empty
        elif path.parent != folder or path.name not in keep or path.is_symlink():
            path.unlink()
    for name in notebooks:
        page = folder / f"{name}.html"
        if page.is_file():
            page.write_text(add_csp(page.read_text(encoding="utf-8")), encoding="utf-8")
