"""``autograder report``: the instructor's view of a graded class, as one self-contained HTML page.

The page (default ``COURSE/reports/ASSIGNMENT/report.html``) holds: the distribution of total
scores; per graded cell the fraction of full, partial and zero marks (the hardest cell marked);
the statuses with the students in each; per threshold check the grader's metric over the class
with its thresholds, and the integrity flags; run times, peak memory and devices; a leaderboard
per threshold check (students under a pseudonym unless ``show_names``); and a table of students,
sortable in the browser, each linking to its feedback pages.

Self-contained and inert: figures are inline PNGs, the style and the one small script (the
table's sorting) are inline and allowed by their hashes in a Content-Security-Policy that allows
nothing else, and every string from the gradebook or a results JSON (ids, names, messages) is
escaped. Totals come from :mod:`autograder.grades` (the gradebook, with manual grades).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

from . import report_figures as figures
from .course import Course
from .grades import ClassGrades, StudentGrade, class_grades, number
from .leaderboard import aliases, course_secret, ranking
from .thresholds import load_checks

STATUSES = {  # in the order they are listed
    "ok": "the notebook ran to the end",
    "timeout": "stopped at the time limit",
    "memory": "stopped at the memory limit",
    "disk": "stopped at the disk limit",
    "crashed": "the kernel died",
    "oversize": "too large to run (graded zero)",
    "invalid": "no valid notebook (missing, renamed or not JSON)",
    "tampered": "test cells were changed (the originals were run)",
    "error": "the grader's own fault: graded again by the next run",
    "ungraded": "in the gradebook, but not graded by the autograder",
    "missing": "no submission",
}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2.2rem; }
.meta, .note { color: #555; } img { max-width: 100%; height: auto; display: block; margin: 0.8rem 0; }
.wide { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.sortable th { cursor: pointer; user-select: none; }
.sortable th[aria-sort="ascending"]::after { content: " \\25B2"; }
.sortable th[aria-sort="descending"]::after { content: " \\25BC"; }
tr.hardest td { background: #fde8e8; font-weight: bold; }
.status-ok { color: #1a7f37; } .status-error, .status-crashed, .status-tampered { color: #b42318; }
.flag { color: #b42318; font-weight: bold; }
nav a { margin-right: 0.8rem; }
"""

SCRIPT = """"use strict";
for (const table of document.querySelectorAll("table.sortable")) {
  const heads = table.tHead.rows[0].cells;
  for (let column = 0; column < heads.length; column++) {
    const th = heads[column];
    th.tabIndex = 0;
    const sort = () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      for (const other of heads) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const key = (row) => {
        const cell = row.cells[column];
        return cell ? (cell.dataset.sort ?? cell.textContent.trim()) : "";
      };
      const num = (text) => (text === "" ? NaN : Number(text));
      const rows = Array.from(table.tBodies[0].rows);
      rows.sort((a, b) => {
        const x = key(a), y = key(b), nx = num(x), ny = num(y);
        if (x === "" || y === "") return (x === "") - (y === "");  // no value: last either way
        const order = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y, undefined, { numeric: true });
        return ascending ? order : -order;
      });
      table.tBodies[0].append(...rows);
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
    });
  }
}
document.documentElement.dataset.sortable = "ready";
"""


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


# Nothing loads from anywhere but the page itself: inline images, and the style and script above by hash.
CSP = (f"default-src 'none'; img-src data:; style-src {_hash(STYLE)}; script-src {_hash(SCRIPT)}; "
       "base-uri 'none'; form-action 'none'")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def default_path(course: Course, assignment: str) -> Path:
    return course.root / "reports" / assignment / "report.html"


def write_report(course: Course, assignment: str, out: str | Path | None = None, show_names: bool = False) -> Path:
    """Build the report of ``assignment`` and write it (atomically) to ``out``; returns its path."""
    dest = Path(out).resolve() if out else default_path(course, assignment)
    dest.parent.mkdir(parents=True, exist_ok=True)
    page = render(course, assignment, dest.parent, show_names=show_names)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, dest)
    return dest


def write_and_announce(course: Course, assignment: str) -> Path | None:
    """After grading: write the report and print its path; a failure is a warning (the grades are saved)."""
    try:
        path = write_report(course, assignment)
    except Exception as exc:
        course.log.exception("the report of %s failed", assignment)
        print(f"warning: the class report could not be written: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    print(f"report: {path}")
    return path


def render(course: Course, assignment: str, where: Path, show_names: bool = False) -> str:
    """The page's HTML; links to feedback are relative to the folder ``where`` it will be saved."""
    grades = class_grades(course, assignment)
    rows = {s.id: i for i, s in enumerate(grades.students)}
    names = aliases(rows, None if show_names else course_secret(course.root))
    parts = [
        _summary(grades),
        _scores(grades),
        _cells(grades),
        _statuses(grades, rows),
        _thresholds(course, grades, rows),
        _resources(grades),
        _leaderboard(course, grades, names, show_names),
        _students(course, grades, where),
    ]
    title = f"{grades.course_id} · {assignment}: class report"
    generated = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    nav = "".join(f'<a href="#{key}">{label}</a>' for key, label in (
        ("scores", "Scores"), ("cells", "Cells"), ("statuses", "Statuses"), ("thresholds", "Threshold checks"),
        ("flags", "Integrity flags"), ("resources", "Resources"), ("leaderboard", "Leaderboard"),
        ("students", "Students")))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
            f'<meta name="referrer" content="no-referrer">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n<body>"
            f"<h1>{esc(title)}</h1><p class=\"meta\">Generated by <code>autograder report</code> at {esc(generated)} "
            f"from {esc(course.root)}.</p><nav>{nav}</nav>\n" + "\n".join(parts)
            + f"\n<script>{SCRIPT}</script></body></html>\n")


def _section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{esc(title)}</h2>{body}</section>'


def _table(head: Iterable[str], rows: Iterable[str], cls: str = "", key: str = "", board: str = "") -> str:
    heads = "".join(f"<th>{esc(h)}</th>" for h in head)
    attrs = (f' class="{cls}"' if cls else "") + (f' id="{key}"' if key else "")
    attrs += f' data-board="{esc(board)}"' if board else ""
    return f"<table{attrs}><thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _num(value: float | None, text: str | None = None) -> str:
    if value is None:
        return '<td class="num" data-sort="">–</td>'
    shown = text if text is not None else number(value)
    return f'<td class="num" data-sort="{esc(repr(float(value)))}">{esc(shown)}</td>'


def _img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{esc(alt)}">'


def _graded(grades: ClassGrades) -> list[StudentGrade]:
    return [s for s in grades.students if s.submitted]


def _summary(grades: ClassGrades) -> str:
    graded = _graded(grades)
    scores = sorted(s.score for s in graded)
    items = [f"<li>{len(grades.students)} students in the gradebook, {len(graded)} submissions, "
             f"{sum(1 for s in graded if s.result is not None)} graded by the autograder.</li>",
             f"<li>Maximum score: {esc(number(grades.max_score))} points.</li>"]
    if scores:
        mean = sum(scores) / len(scores)
        items.append(f"<li>Total score: mean {mean:.2f}, median {_median(scores):.2f}, "
                     f"lowest {esc(number(scores[0]))}, highest {esc(number(scores[-1]))}.</li>")
    pending = [s.id for s in graded if s.needs_manual_grade]
    items.append(f"<li>{len(pending)} submissions wait for a manual grade (nbgrader's formgrader).</li>")
    if grades.extra_checks:
        items.append(f"<li>Threshold checks with no grade cell (their points come from the results JSONs): "
                     f"{esc(', '.join(grades.extra_checks))}.</li>")
    if grades.orphans:
        items.append(f"<li class=\"flag\">Results JSONs of students not in the gradebook (left out): "
                     f"{esc(', '.join(grades.orphans))}.</li>")
    return _section("summary", "Summary", f"<ul>{''.join(items)}</ul>")


def _median(values: list[float]) -> float:
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _scores(grades: ClassGrades) -> str:
    scores = [s.score for s in _graded(grades)]
    if not scores:
        return _section("scores", "Distribution of total scores", "<p>No submissions yet.</p>")
    uri = figures.score_histogram(scores, grades.max_score, grades.assignment)
    note = ("<p class=\"note\">Totals as nbgrader's <code>export</code> computes them (the gradebook's score, manual "
            "grades included, less the late penalty), plus threshold checks with no grade cell.</p>")
    return _section("scores", "Distribution of total scores", _img(uri, "histogram of total scores") + note)


def cell_outcomes(grades: ClassGrades) -> list[dict[str, Any]]:
    """Per graded cell: counts of full, partial, zero and pending marks over the submissions, and the mean fraction."""
    stats = []
    for notebook, name, maximum in grades.cells:
        counts: Counter = Counter()
        fractions = []
        kinds: Counter = Counter()
        for student in _graded(grades):
            cell = next((c for c in student.cells if c.notebook == notebook and c.name == name), None)
            if cell is None:
                continue
            kinds[cell.kind] += 1
            if cell.points is None:
                counts["pending"] += 1
                continue
            fraction = cell.points / maximum if maximum else 1.0
            fractions.append(fraction)
            counts["full" if fraction >= 1 - 1e-9 else "zero" if cell.points <= 0 else "partial"] += 1
        kind = kinds.most_common(1)[0][0] if kinds else ""
        stats.append({"notebook": notebook, "name": name, "kind": kind, "max": maximum, "full": counts["full"],
                      "partial": counts["partial"], "zero": counts["zero"], "pending": counts["pending"],
                      "mean": sum(fractions) / len(fractions) if fractions else None})
    return stats


AUTOMATIC = ("tests", "threshold")  # kinds of cells the grader scores; written answers and tasks are graded by hand


def hardest_cell(stats: list[dict[str, Any]]) -> int | None:
    """The cell with the lowest mean fraction of its points (ties: more zeros), among the cells the grader scores
    (where there are any: an unanswered written question is not a hard exercise)."""
    scored = [i for i, s in enumerate(stats) if s["mean"] is not None and s["max"] > 0]
    automatic = [i for i in scored if stats[i]["kind"] in AUTOMATIC]
    scored = automatic or scored
    if not scored:
        return None
    return min(scored, key=lambda i: (stats[i]["mean"], -stats[i]["zero"], i))


def _cells(grades: ClassGrades) -> str:
    stats = cell_outcomes(grades)
    if not stats or not _graded(grades):
        return _section("cells", "Graded cells", "<p>No graded cells or no submissions.</p>")
    hardest = hardest_cell(stats)
    multi = len({s["notebook"] for s in stats}) > 1
    labels = [f"{s['notebook']}: {s['name']}" if multi else s["name"] for s in stats]
    shares = []
    for s in stats:
        total = s["full"] + s["partial"] + s["zero"] + s["pending"] or 1
        shares.append(tuple(s[k] / total for k in ("full", "partial", "zero", "pending")))
    uri = figures.cell_outcomes(labels, shares, hardest)
    rows = []
    for i, s in enumerate(stats):
        cls = ' class="hardest"' if i == hardest else ""
        mark = " (hardest)" if i == hardest else ""
        mean = _num(None) if s["mean"] is None else _num(100 * s["mean"], f"{100 * s['mean']:.0f} %")
        rows.append(f'<tr{cls} data-cell="{esc(s["name"])}"><td>{esc(s["notebook"])}</td>'
                    f'<td>{esc(s["name"])}{mark}</td>'
                    f'{_num(s["max"])}{_num(s["full"])}{_num(s["partial"])}{_num(s["zero"])}{_num(s["pending"])}'
                    f'{mean}</tr>')
    table = _table(("notebook", "cell", "points", "full", "partial", "zero", "manual pending", "mean score"), rows,
                   "sortable", "cells-table")
    return _section("cells", "Graded cells: full, partial and zero marks",
                    _img(uri, "outcome of each graded cell") + table)


def _student_link(student: str, rows: dict[str, int]) -> str:
    return f'<a href="#student-{rows[student]}">{esc(student)}</a>' if student in rows else esc(student)


def _statuses(grades: ClassGrades, rows: dict[str, int]) -> str:
    groups: dict[str, list[str]] = {}
    for student in grades.students:
        groups.setdefault(student.status, []).append(student.id)
    order = [s for s in STATUSES if s in groups] + sorted(s for s in groups if s not in STATUSES)
    body = [f'<tr data-status="{esc(status)}"><td class="status-{esc(status)}">{esc(status)}</td>'
            f'<td>{esc(STATUSES.get(status, ""))}</td>{_num(len(groups[status]))}'
            f'<td>{", ".join(_student_link(s, rows) for s in groups[status])}</td></tr>' for status in order]
    return _section("statuses", "Statuses",
                    _table(("status", "meaning", "count", "students"), body, key="status-table"))


def _flags_of(student: StudentGrade) -> list[dict[str, Any]]:
    flags = (student.result or {}).get("flags") or []
    return [f for f in flags if isinstance(f, dict)] if isinstance(flags, list) else []


def _thresholds(course: Course, grades: ClassGrades, rows: dict[str, int]) -> str:
    checks = {c.name: c for c in load_checks(course.root, grades.assignment)}
    measured: dict[str, list[float]] = {}
    metrics: dict[str, str] = {}
    for student in _graded(grades):
        for check in (student.result or {}).get("checks") or []:
            if check.get("kind") != "threshold":
                continue
            measured.setdefault(check["name"], [])
            metrics.setdefault(check["name"], check.get("metric") or "metric")
            if isinstance(check.get("value"), (int, float)):
                measured[check["name"]].append(float(check["value"]))
    names = list(checks) + [n for n in measured if n not in checks]
    parts = []
    for name in names:
        check = checks.get(name)
        values = measured.get(name, [])
        metric = check.metric if check else metrics.get(name, "metric")
        full, zero = (check.full, check.zero) if check else (None, None)
        described = esc(check.describe()) if check else "not in thresholds.toml any more"
        missing = len(_graded(grades)) - len(values)
        parts.append(f'<h3 data-check="{esc(name)}">{esc(name)}</h3><p>{described}. {len(values)} measured, '
                     f"{missing} without a value (no model, or not graded).</p>")
        if values:
            parts.append(_img(figures.metric_histogram(name, metric, values, full, zero), f"{metric} of {name}"))
    body = "".join(parts) or "<p>No threshold checks for this assignment (thresholds.toml).</p>"
    return _section("thresholds", "Threshold checks", body) + _flags(grades, rows)


def _flags(grades: ClassGrades, rows: dict[str, int]) -> str:
    body = []
    for student in grades.students:
        for flag in _flags_of(student):
            raw = flag.get("values")
            values = raw if isinstance(raw, dict) else {}
            shown = ", ".join(f"{k} = {number(v) if isinstance(v, (int, float)) else v}" for k, v in values.items())
            body.append(f'<tr data-student="{esc(student.id)}"><td>{_student_link(student.id, rows)}</td>'
                        f'<td class="flag">{esc(flag.get("kind", ""))}</td><td>{esc(flag.get("check", ""))}</td>'
                        f'<td>{esc(flag.get("message", ""))}</td><td>{esc(shown)}</td></tr>')
    intro = ("<p class=\"note\">Raised by the grader for an instructor to review (for example a model that scores "
             "far better on the validation data than on held-out data); no points were taken.</p>")
    if not body:
        return _section("flags", "Integrity flags", "<p>No integrity flags.</p>")
    return _section("flags", "Integrity flags", intro + _table(("student", "kind", "check", "message", "values"), body,
                                                              "sortable", "flags-table"))


def _resources(grades: ClassGrades) -> str:
    points: dict[str, list[tuple[float, float | None]]] = {}
    devices: Counter = Counter()
    for student in _graded(grades):
        result = student.result or {}
        device = str(result.get("device") or "unknown")
        if student.result is not None:
            devices[device] += 1
        if isinstance(result.get("runtime_s"), (int, float)):
            memory = result.get("peak_memory_mb")
            points.setdefault(device, []).append((float(result["runtime_s"]),
                                                  float(memory) if isinstance(memory, (int, float)) else None))
    if not devices:
        return _section("resources", "Run time, memory and devices", "<p>Nothing graded by the autograder.</p>")
    body = _img(figures.resources(points), "run time and peak memory per submission") if points else ""
    rows = []
    for device, count in sorted(devices.items()):
        runs = [r for r, _ in points.get(device, [])]
        mems = [m for _, m in points.get(device, []) if m is not None]
        mean = _num(sum(runs) / len(runs), f"{sum(runs) / len(runs):.1f}") if runs else _num(None)
        rows.append(f'<tr data-device="{esc(device)}"><td>{esc(device)}</td>{_num(count)}{mean}'
                    f'{_num(max(runs) if runs else None)}{_num(max(mems) if mems else None)}</tr>')
    body += _table(("device", "submissions", "mean run time (s)", "longest run (s)", "highest peak memory (MB)"),
                   rows, key="device-table")
    return _section("resources", "Run time, memory and devices", body)


def _leaderboard(course: Course, grades: ClassGrades, names: dict[str, str], show_names: bool) -> str:
    results = [s.result for s in _graded(grades) if s.result is not None and s.result.get("student") == s.id]
    boards = ranking(results, load_checks(course.root, grades.assignment))
    if not boards:
        return _section("leaderboard", "Leaderboard", "<p>No threshold check was measured.</p>")
    note = ("Students by id (<code>--show-names</code>)." if show_names else
            "Students under a stable pseudonym (from the course's secret, <code>.autograder-secret</code>); "
            "<code>--show-names</code> shows their ids.")
    parts = [f'<p class="note">{note} Ranked by the metric the grader measured.</p>']
    for board, entries in boards.items():
        order = "higher is better" if entries[0]["order"] == "desc" else "lower is better"
        body = [f'<tr><td class="num">{entry["rank"]}</td><td>{esc(names.get(entry["student"], entry["student"]))}</td>'
                f'{_num(entry["value"])}</tr>' for entry in entries]
        parts.append(f'<h3>{esc(board)}</h3><p class="note">{order}</p>'
                     + _table(("rank", "student" if show_names else "alias", "value"), body, "leaderboard",
                                                     board=board))
    return _section("leaderboard", "Leaderboard", "".join(parts))


def feedback_links(course: Course, student: str, assignment: str, where: Path) -> str:
    folder = course.path("feedback", student, assignment)
    pages = sorted(folder.glob("*.html")) if folder.is_dir() else []
    links = [f'<a href="{esc(quote(Path(os.path.relpath(page, where)).as_posix()))}">{esc(page.stem)}</a>'
             for page in pages if page.is_file() and not page.is_symlink()]
    return " ".join(links) or "–"


def _students(course: Course, grades: ClassGrades, where: Path) -> str:
    head = ["student", "name", "status", "score", "max", "late penalty", "manual pending"]
    multi = len({nb for nb, _, _ in grades.cells}) > 1
    head += [f"{nb}: {name}" if multi else name for nb, name, _ in grades.cells]
    head += ["run time (s)", "peak memory (MB)", "device", "flags", "feedback"]
    body = []
    for i, s in enumerate(grades.students):
        result = s.result or {}
        points = {(c.notebook, c.name): c for c in s.cells}
        cells = []
        for nb, name, _ in grades.cells:
            cell = points.get((nb, name))
            if cell is None:
                cells.append(_num(None))
            elif cell.points is None:
                cells.append('<td class="num" data-sort="">manual</td>')
            else:
                cells.append(_num(cell.points))
        runtime, memory = result.get("runtime_s"), result.get("peak_memory_mb")
        flags = _flags_of(s)
        body.append(
            f'<tr id="student-{i}" data-student="{esc(s.id)}"><td>{esc(s.id)}</td>'
            f'<td>{esc(s.name if s.name != s.id else "")}</td><td class="status-{esc(s.status)}">{esc(s.status)}</td>'
            f'{_num(s.score if s.submitted else None)}{_num(s.max_score)}'
            f'{_num(s.late_penalty if s.submitted else None)}'
            f'<td>{"yes" if s.needs_manual_grade else "no"}</td>{"".join(cells)}'
            f'{_num(runtime if isinstance(runtime, (int, float)) else None)}'
            f'{_num(memory if isinstance(memory, (int, float)) else None)}<td>{esc(result.get("device", ""))}</td>'
            f'<td class="{"flag" if flags else ""}">{esc(", ".join(str(f.get("kind", "")) for f in flags))}</td>'
            f'<td>{feedback_links(course, s.id, grades.assignment, where)}</td></tr>')
    note = '<p class="note">Click a column\'s header to sort by it.</p>'
    table = _table(head, body, "sortable", "students-table")
    return _section("students", "Students", f'{note}<div class="wide">{table}</div>')
