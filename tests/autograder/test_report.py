"""``autograder report``: the class report of the demo course and of the adversarial batch (session fixtures,
graded once), its consistency with nbgrader's gradebook, the page in headless Chromium, and the leaderboard."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import stat
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from nbgrader.api import Gradebook

from autograder.course import Course
from autograder.leaderboard import (
    SECRET_FILE,
    aliases,
    course_secret,
    leaderboard_entries,
    order_of,
    pseudonym,
    ranking,
)
from autograder.report import SCRIPT, write_report
from autograder.thresholds import load_checks

from .conftest import LEAK_FLAG

pytestmark = [pytest.mark.slow, pytest.mark.needs_data]

SECTIONS = ["summary", "scores", "cells", "statuses", "thresholds", "flags", "resources", "leaderboard", "students"]
AUTOMATIC = ("tests", "threshold")


class Page(HTMLParser):
    """What the tests read of a report: sections, tables (cells' text, ``data-sort`` and links), images, scripts."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.sections, self.images, self.scripts, self.metas, self.h3 = [], [], [], [], []
        self.tables: dict[str, dict] = {}
        self.attributes: list[tuple[str, str, str]] = []  # (tag, name, value) of every attribute
        self._table = self._row = self._cell = None
        self._in_script = self._in_h3 = False
        self._section = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attributes += [(tag, k, v or "") for k, v in attrs]
        if tag == "section":
            self.sections.append(a.get("id"))
            self._section = a.get("id")
        elif tag == "img":
            self.images.append((self._section, a.get("src", ""), a.get("alt", "")))
        elif tag == "script":
            self.scripts.append("")
            self._in_script = True
        elif tag == "meta":
            self.metas.append(a)
        elif tag == "h3":
            self.h3.append({"section": self._section, "check": a.get("data-check"), "text": ""})
            self._in_h3 = True
        elif tag == "table":
            self._table = {"id": a.get("id"), "board": a.get("data-board"), "section": self._section, "head": [],
                           "rows": []}
            self.tables.setdefault(a.get("id") or f"table-{len(self.tables)}", self._table)
        elif tag == "tr" and self._table is not None:
            self._row = {"attrs": a, "cells": []}
        elif tag in ("td", "th") and self._row is not None:
            self._cell = {"text": "", "sort": a.get("data-sort"), "links": [], "th": tag == "th"}
        elif tag == "a" and self._cell is not None:
            self._cell["links"].append(a.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        elif tag == "h3":
            self._in_h3 = False
        elif tag in ("td", "th") and self._cell is not None:
            self._cell["text"] = self._cell["text"].strip()
            self._row["cells"].append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row["cells"] and all(c["th"] for c in self._row["cells"]):
                self._table["head"] = [c["text"] for c in self._row["cells"]]
            else:
                self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        if self._in_h3:
            self.h3[-1]["text"] += data
        if self._cell is not None:
            self._cell["text"] += data

    def rows(self, table: str) -> list[dict[str, dict]]:
        """A table's rows as ``{column: cell}``."""
        t = self.tables[table]
        return [dict(zip(t["head"], r["cells"], strict=True)) | {"_attrs": r["attrs"]} for r in t["rows"]]


@pytest.fixture(params=["demo", "attacked"])
def graded(request):
    """Each graded class: the demo course (7 students), the adversarial batch (30, every status)."""
    return request.getfixturevalue(request.param)


def report_of(graded) -> Path:
    return graded.root / "reports" / graded.assignment / "report.html"


def page_of(graded) -> Page:
    return Page(report_of(graded).read_text(encoding="utf-8"))


def submissions(root: Path, assignment: str) -> dict[str, dict]:
    """From the gradebook: ``{student: {"score": nbgrader export's score, "cells": {cell: score or None}}}``."""
    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "demo") as gb:
        for sub in gb.assignment_submissions(assignment):
            cells = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    pending = grade.needs_manual_grade and grade.manual_score is None
                    cells[grade.name] = None if pending else float(grade.score)
            out[sub.student.id] = {"score": max(0.0, float(sub.score) - float(sub.late_submission_penalty or 0)),
                                   "cells": cells}
    return out


def class_max(root: Path, assignment: str) -> float:
    """The gradebook's maximum, plus the points of threshold checks named like no grade cell."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "demo") as gb:
        record = gb.find_assignment(assignment)
        cells = {c.name for nb in record.notebooks for c in nb.grade_cells}
        maximum = record.max_score
    return maximum + sum(c.points for c in load_checks(root, assignment) if c.name not in cells)


def extra_points(result: dict) -> float:
    """Points of threshold checks with no grade cell: only in the results JSON."""
    return sum(c["points"] or 0 for c in result.get("checks", []) if c.get("notebook") is None)


# -- the page written at the end of grading --------------------------------------------------------
def test_grading_writes_the_report_and_prints_its_path(graded):
    out = graded.out.stdout if hasattr(graded, "out") else graded.first.stdout + graded.second.stdout
    assert f"report: {report_of(graded)}" in out
    assert report_of(graded).is_file()


def test_every_section_is_present_with_its_figures(graded):
    page = page_of(graded)
    assert page.sections == SECTIONS
    figures = Counter(section for section, _, _ in page.images)
    checks = load_checks(graded.root, graded.assignment)
    assert figures["scores"] == 1 and figures["cells"] == 1 and figures["resources"] == 1
    values = {e["name"] for r in graded.results.values() for e in r["checks"] if isinstance(e.get("value"), float)}
    assert figures["thresholds"] == len([c for c in checks if c.name in values])
    for _, src, alt in page.images:
        assert src.startswith("data:image/png;base64,") and alt
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_the_students_table_matches_the_gradebook(graded):
    page = page_of(graded)
    rows = {r["_attrs"]["data-student"]: r for r in page.rows("students-table")}
    book = submissions(graded.root, graded.assignment)
    assert set(rows) == set(book)
    for student, entry in book.items():
        row, result = rows[student], graded.results[student]
        total = round(entry["score"] + extra_points(result), 4)
        assert float(row["score"]["sort"]) == pytest.approx(total)
        assert float(row["score"]["sort"]) == pytest.approx(result["score"])  # no manual grade entered yet
        assert float(row["max"]["sort"]) == pytest.approx(class_max(graded.root, graded.assignment))
        assert row["status"]["text"] == result["status"]
        assert row["manual pending"]["text"] == ("yes" if result["needs_manual_grade"] else "no")
        for cell, points in entry["cells"].items():
            if points is None:
                assert row[cell]["text"] == "manual"
            else:
                assert float(row[cell]["sort"]) == points
        if result.get("runtime_s") is not None:
            assert float(row["run time (s)"]["sort"]) == pytest.approx(result["runtime_s"])
        assert row["device"]["text"] == result.get("device", "")


def test_status_counts_list_each_student_once(graded):
    page = page_of(graded)
    counts = Counter(r["status"] for r in graded.results.values())
    table = {r["_attrs"]["data-status"]: r for r in page.rows("status-table")}
    assert {s: int(r["count"]["text"]) for s, r in table.items()} == counts
    for status, row in table.items():
        listed = row["students"]["text"].split(", ")
        assert sorted(listed) == sorted(s for s, r in graded.results.items() if r["status"] == status)
        assert all(link.startswith("#student-") for link in row["students"]["links"])


def test_cell_outcomes_match_the_gradebook_and_the_hardest_stands_out(graded):
    page = page_of(graded)
    book = submissions(graded.root, graded.assignment)
    rows = {r["_attrs"]["data-cell"]: r for r in page.rows("cells-table")}
    kinds = {c["name"]: c["kind"] for r in graded.results.values() for c in r["checks"] if c.get("notebook")}
    means = {}
    for cell, row in rows.items():
        maximum = float(row["points"]["sort"])
        scores = [e["cells"][cell] for e in book.values() if cell in e["cells"]]
        done = [s for s in scores if s is not None]
        expected = {"full": sum(s >= maximum for s in done), "zero": sum(s <= 0 for s in done),
                    "manual pending": scores.count(None)}
        expected["partial"] = len(done) - expected["full"] - expected["zero"]
        assert {k: int(row[k]["text"]) for k in expected} == expected, cell
        if done and kinds.get(cell) in AUTOMATIC:
            means[cell] = sum(s / maximum for s in done) / len(done)
    hardest = [cell for cell, row in rows.items() if row["_attrs"].get("class") == "hardest"]
    assert hardest == [min(means, key=means.get)]
    assert "(hardest)" in rows[hardest[0]]["cell"]["text"]
    if graded.root.parent.name.startswith("demo"):
        assert hardest == ["tests_exactitud"]  # the exercise that only the reference answers


def test_each_threshold_check_has_its_distribution(graded):
    page = page_of(graded)
    headings = {h["check"]: h for h in page.h3 if h["section"] == "thresholds"}
    for check in load_checks(graded.root, graded.assignment):
        assert check.name in headings
        alts = [alt for section, _, alt in page.images if section == "thresholds"]
        measured = [e for r in graded.results.values() for e in r["checks"]
                    if e["name"] == check.name and e.get("value") is not None]
        assert (f"{check.metric} of {check.name}" in alts) == bool(measured)
    text = report_of(graded).read_text(encoding="utf-8")
    assert re.search(r"\d+ measured", text)


def test_the_leaderboard_is_in_each_results_json_and_in_the_report(graded):
    checks = load_checks(graded.root, graded.assignment)
    for result in graded.results.values():
        assert result["leaderboard"] == leaderboard_entries(result, checks)
    measured = {s: e for s, r in graded.results.items() for e in r["leaderboard"]
                if e["name"] == "modelo_final (accuracy)"}
    assert measured and all(e["order"] == "desc" for e in measured.values())
    page = page_of(graded)
    [board] = [t for t in page.tables.values() if t["board"] == "modelo_final (accuracy)"]
    assert board["head"] == ["rank", "alias", "value"]
    names = aliases(submissions(graded.root, graded.assignment), course_secret(graded.root))
    expected = sorted(measured, key=lambda s: (-measured[s]["value"], s))
    shown = [r["cells"][1]["text"] for r in board["rows"]]
    assert shown == [names[s] for s in expected]
    assert not set(shown) & set(graded.results)  # pseudonyms, not ids
    values = [float(r["cells"][2]["sort"]) for r in board["rows"]]
    assert values == sorted(values, reverse=True)


def test_feedback_links_are_relative_and_open_the_students_feedback(graded):
    page = page_of(graded)
    folder = report_of(graded).parent
    for row in page.rows("students-table"):
        student = row["_attrs"]["data-student"]
        pages = sorted((graded.root / "feedback" / student / graded.assignment).glob("*.html"))
        links = row["feedback"]["links"]
        assert len(links) == len(pages)
        for link in links:
            assert not urlsplit(link).scheme and not link.startswith("/")
            target = (folder / unquote(link)).resolve()
            assert target in pages


def test_the_page_is_inert(graded):
    text = report_of(graded).read_text(encoding="utf-8")
    page = Page(text)
    head = text[text.index("<head>"):text.index("</head>")]
    assert head.index('http-equiv="Content-Security-Policy"') < head.index("<title>")
    csp = next(m["content"] for m in page.metas if m.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "img-src data:" in csp and "unsafe-inline" not in csp
    assert page.scripts == [SCRIPT]
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert not [a for a in page.attributes if a[1].startswith("on")]
    assert not [a for a in page.attributes if a[1] in ("src", "href") and re.match(r"\w+://", a[2])]
    assert "<script>alert" not in text


# -- an instructor's review: manual grades, identities, integrity flags ---------------------------
def test_manual_grades_and_integrity_flags_reach_the_report(demo_reviewed, tmp_path):
    path = write_report(Course(demo_reviewed.root), demo_reviewed.assignment, tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    page = Page(text)
    rows = {r["_attrs"]["data-student"]: r for r in page.rows("students-table")}
    assert float(rows["reference"]["score"]["sort"]) == 12.5  # 11 automatic + 1.5 by hand, in formgrader
    assert rows["reference"]["respuesta_softmax"]["text"] == "1.5"
    assert rows["reference"]["manual pending"]["text"] == "no"
    assert rows["ausente"]["status"]["text"] == "missing" and rows["ausente"]["score"]["sort"] == ""
    assert rows["partial"]["name"]["text"] == '<b>Ruiz</b>, =HYPERLINK("http://x")'  # as text
    assert "&lt;b&gt;Ruiz&lt;/b&gt;" in text and "<b>Ruiz" not in text
    [flag] = page.rows("flags-table")
    assert flag["_attrs"]["data-student"] == "partial"
    assert (flag["kind"]["text"], flag["check"]["text"]) == ("leak", "modelo_final")
    assert flag["message"]["text"] == LEAK_FLAG["message"] and "<img src=x" not in text
    assert flag["values"]["text"] == "valid = 0.93, test = 0.87"
    assert rows["partial"]["flags"]["text"] == "leak"
    statuses = {r["_attrs"]["data-status"]: r["count"]["text"] for r in page.rows("status-table")}
    assert statuses["missing"] == "1"
    # the feedback links are relative to where the report is written
    [link] = rows["reference"]["feedback"]["links"]
    assert (path.parent / unquote(link)).resolve() == (
        demo_reviewed.root / "feedback" / "reference" / demo_reviewed.assignment / f"{demo_reviewed.notebook}.html")


def test_show_names_puts_ids_in_the_leaderboard(demo_reviewed, tmp_path):
    page = Page(write_report(Course(demo_reviewed.root), demo_reviewed.assignment, tmp_path / "r.html",
                             show_names=True).read_text(encoding="utf-8"))
    [board] = [t for t in page.tables.values() if t["board"] == "modelo_final (accuracy)"]
    assert board["head"][1] == "student"
    assert [r["cells"][1]["text"] for r in board["rows"]][:2] == ["reference", "partial"]


def test_the_report_command(demo_reviewed, tmp_path, capsys):
    from autograder.cli import main

    out = tmp_path / "sub" / "informe.html"
    assert main(["report", demo_reviewed.assignment, "--course-dir", str(demo_reviewed.root), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {out}"
    assert Page(out.read_text(encoding="utf-8")).sections == SECTIONS


@pytest.mark.parametrize("flag", [[], ["--no-report"]])
def test_grade_writes_the_report_unless_told_not_to(demo_reviewed, tmp_path, monkeypatch, capsys, flag):
    """``autograder grade``'s last step, with the batch itself stubbed out (the fixtures graded for real)."""
    import autograder.runner
    from autograder.cli import main

    course = tmp_path / "course"
    shutil.copytree(demo_reviewed.root, course, symlinks=True)
    shutil.rmtree(course / "reports")
    monkeypatch.setattr(autograder.runner, "grade_assignment", lambda *a, **k: autograder.runner.Report("demo"))
    assert main(["grade", "demo", "--course-dir", str(course), "--no-progress", *flag]) == 0
    path = course / "reports" / "demo" / "report.html"
    assert path.is_file() != bool(flag)
    assert (f"report: {path}" in capsys.readouterr().out) != bool(flag)


# -- the page in a browser ----------------------------------------------------------------------------
def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium is not installed (Debian: apt-get install -y chromium; scripts/setup.sh does it)")


def run_chromium(page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium on ``page`` (as root it needs --no-sandbox), with the page's console on stderr."""
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args, page.as_uri()],
        capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(tmp)})


def console_lines(stderr: str) -> list[str]:
    """The page's console messages (errors, CSP violations, and any log: the page logs nothing)."""
    return [line for line in stderr.splitlines() if re.search(r"CONSOLE[(:]\d+", line)]


def test_the_console_check_sees_errors(tmp_path):
    """The check below is able to fail: a script error and a blocked load show as console lines."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" "
                   "content=\"default-src 'none'\"></head><body><img src=\"https://example.invalid/x.png\">"
                   "<script>nope()</script></body></html>")
    done = run_chromium(bad, tmp_path, "--dump-dom")
    assert len(console_lines(done.stderr)) >= 2, done.stderr[-3000:]


def test_the_report_opens_in_chromium_without_console_errors(graded, tmp_path):
    done = run_chromium(report_of(graded), tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr[-3000:]
    assert console_lines(done.stderr) == []
    assert 'data-sortable="ready"' in done.stdout  # the sorting script ran: the CSP lets it, and only it, run


def test_sorting_by_score_in_the_browser(demo_reviewed, tmp_path):
    """The page's own script sorts the students' table: a test script (its hash added to the CSP) clicks
    the score header twice and writes the orders it saw into the DOM."""
    path = write_report(Course(demo_reviewed.root), demo_reviewed.assignment, tmp_path / "r.html")
    probe = ("const th = [...document.querySelectorAll('#students-table thead th')]"
             ".find(h => h.textContent === 'score');"
             "const order = () => [...document.querySelectorAll('#students-table tbody tr')]"
             ".map(r => r.dataset.student);"
             "th.click(); document.body.dataset.up = order().join(',');"
             "th.click(); document.body.dataset.down = order().join(',');")
    digest = base64.b64encode(hashlib.sha256(probe.encode()).digest()).decode()
    text = path.read_text(encoding="utf-8").replace("script-src ", f"script-src 'sha256-{digest}' ", 1)
    path.write_text(text.replace("</body>", f"<script>{probe}</script></body>"), encoding="utf-8")
    done = run_chromium(path, tmp_path, "--dump-dom")
    assert console_lines(done.stderr) == []
    up = re.search(r'data-up="([^"]*)"', done.stdout).group(1).split(",")
    down = re.search(r'data-down="([^"]*)"', done.stdout).group(1).split(",")
    scores = {s: r["score"] for s, r in demo_reviewed.results.items()} | {"reference": 12.5}
    ranked = [s for s in up if s in scores]
    assert [scores[s] for s in ranked] == sorted(scores[s] for s in ranked)
    assert up[-1] == down[-1] == "ausente"  # no score: last either way
    assert down[0] == "reference"
    assert [scores[s] for s in down[:-1]] == sorted((scores[s] for s in down[:-1]), reverse=True)


def test_a_screenshot_shows_the_plots(graded, tmp_path):
    shot = tmp_path / "shot.png"
    done = run_chromium(report_of(graded), tmp_path, "--window-size=1280,2600", f"--screenshot={shot}")
    assert shot.is_file(), done.stderr[-3000:]
    from PIL import Image

    image = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert image.shape[:2] == (2600, 1280)
    assert image.std() > 20  # not blank
    # the figures' own colours (matplotlib's tab: palette), which nothing else on the page uses
    for colour in ((31, 119, 180), (44, 160, 44), (214, 39, 40)):
        close = (np.abs(image - colour).sum(axis=2) < 30).sum()
        assert close > 2000, (colour, close)


# -- the leaderboard's pure functions ---------------------------------------------------------------
def result(student: str, *checks: tuple) -> dict:
    return {"student": student, "checks": [{"name": n, "kind": k, "value": v, "metric": m} for n, k, v, m in checks]}


def test_leaderboard_entries_are_gradescopes():
    r = result("a", ("modelo", "threshold", 0.9, "accuracy"), ("error", "threshold", 0.2, "mse"),
               ("tests_relu", "tests", None, None), ("sin_modelo", "threshold", None, "accuracy"))
    assert leaderboard_entries(r) == [{"name": "modelo (accuracy)", "value": 0.9, "order": "desc"},
                                      {"name": "error (mse)", "value": 0.2, "order": "asc"}]
    # the check's thresholds decide the direction over the metric's name
    assert leaderboard_entries(r, [{"name": "modelo", "full": 0.1, "zero": 0.5}])[0]["order"] == "asc"
    assert order_of("mae") == "asc" and order_of("accuracy", 0.9, 0.8) == "desc"
    assert leaderboard_entries({"checks": []}) == [] and leaderboard_entries({}) == []


def test_ranking_shares_ranks_on_ties():
    results = [result(s, ("m", "threshold", v, "accuracy")) for s, v in (("b", 0.8), ("a", 0.8), ("c", 0.9),
                                                                          ("d", 0.7))]
    board = ranking(results)["m (accuracy)"]
    assert [(r["student"], r["rank"]) for r in board] == [("c", 1), ("a", 2), ("b", 2), ("d", 4)]
    low = ranking([result(s, ("e", "threshold", v, "mse")) for s, v in (("x", 0.3), ("y", 0.1))])["e (mse)"]
    assert [r["student"] for r in low] == ["y", "x"]


def test_pseudonyms_are_stable_distinct_and_secret(tmp_path):
    secret = course_secret(tmp_path)
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    assert course_secret(tmp_path) == secret  # made once, then read
    ids = [f"alumno{i}" for i in range(300)]
    names = aliases(ids, secret)
    assert len(set(names.values())) == len(ids)
    assert names["alumno7"] == pseudonym("alumno7", secret) == aliases(["alumno7"], secret)["alumno7"]
    assert aliases(ids, b"another course")["alumno7"] != names["alumno7"]
    assert aliases(["x"], None) == {"x": "x"}
