"""The demo course, graded once per session (see conftest): scores, statuses, outputs, resume."""

import csv

import pytest

from .conftest import gradebook_rows

pytestmark = [pytest.mark.slow, pytest.mark.needs_data]


def points(result, name):
    [entry] = [c for c in result["checks"] if c["name"] == name]
    return entry["points"]


def test_demo_statuses(demo):
    statuses = {student: r["status"] for student, r in demo.results.items()}
    assert statuses == {"reference": "ok", "blank": "ok", "partial": "ok", "crash": "crashed", "hang": "timeout",
                        "cheat": "ok", "noisy": "ok"}


def test_reference_gets_every_automatic_point_and_waits_for_the_written_answer(demo):
    ref = demo.results["reference"]
    written = [c for c in ref["checks"] if c["kind"] == "written"]
    assert [c["points"] for c in written] == [None] and ref["needs_manual_grade"]
    assert ref["score"] == ref["max_score"] - written[0]["max"]
    assert all(c["points"] == c["max"] for c in ref["checks"] if c["kind"] != "written")
    assert demo.results["blank"]["score"] == 0


def test_partial_submission(demo):
    partial = demo.results["partial"]
    assert points(partial, "tests_relu") == 2
    assert points(partial, "tests_softmax") == 0  # passes the visible tests, fails the hidden ones
    assert "estable" in [c for c in partial["checks"] if c["name"] == "tests_softmax"][0]["message"]
    model = [c for c in partial["checks"] if c["name"] == "modelo_final"][0]
    assert 0 < model["points"] < model["max"]  # partial credit on the threshold
    assert model["value"] != pytest.approx(0.99)  # the grader's own number, not the printed one


def test_crash_and_hang_keep_what_ran_before_and_zero_the_rest(demo):
    crash, hang = demo.results["crash"], demo.results["hang"]
    assert points(crash, "tests_relu") == 2 and points(crash, "tests_softmax") == 3
    assert points(crash, "tests_exactitud") == 0 and points(crash, "modelo_final") == 0
    assert crash["score"] == 5
    assert hang["score"] == 0 and "tiempo" in hang["message"]


def test_threshold_ignores_numbers_the_notebook_printed_or_stored(demo):
    cheat = demo.results["cheat"]
    model = [c for c in cheat["checks"] if c["name"] == "modelo_final"][0]
    assert model["points"] == 0 and model["value"] < 0.5
    executed = (demo.root / "autograded" / "cheat" / demo.assignment / f"{demo.notebook}.ipynb").read_text()
    assert "0.99" in executed  # the notebook did claim it


def test_log_lines_on_stderr_do_not_zero_a_grade_cell_but_other_stderr_does(demo):
    noisy = demo.results["noisy"]
    assert points(noisy, "tests_relu") == 2
    assert points(noisy, "tests_softmax") == 0


def test_gradebook_grades_csv_and_results_agree(demo):
    rows = gradebook_rows(demo.root, demo.assignment, "demo")
    with open(demo.root / "grades.csv") as fh:
        csv_scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(fh)}
    assert set(csv_scores) == set(demo.results)
    for student, result in demo.results.items():
        auto = sum(score or 0 for (s, _, _), (score, _) in rows.items() if s == student)
        assert auto == pytest.approx(result["score"]) == pytest.approx(csv_scores[student])


def test_results_follow_gradescope_shape(demo):
    for result in demo.results.values():
        assert {"student", "assignment", "score", "max_score", "status", "runtime_s", "device"} <= set(result)
        assert result["device"] == "cpu" or result["device"].startswith("gpu")
        assert {tuple(sorted(t)) for t in result["tests"]} == {("max_score", "name", "output", "score", "visibility")}
        assert sum(t["score"] for t in result["tests"]) == pytest.approx(result["score"])
        assert all(t["visibility"] in ("visible", "hidden", "after_due_date", "after_published") for t in result["tests"])
        assert all(c["message"] for c in result["checks"])


def test_feedback_has_a_spanish_summary_and_no_hidden_tests(demo):
    for student in demo.results:
        html = (demo.root / "feedback" / student / demo.assignment / f"{demo.notebook}.html").read_text()
        assert "Resumen de la corrección automática" in html
        assert "HIDDEN TESTS" not in html and "1001.0" not in html and "np.eye(3)" not in html
    # nbgrader's autograded notebook still holds them (the tests really ran)
    autograded = (demo.root / "autograded" / "partial" / demo.assignment / f"{demo.notebook}.ipynb").read_text()
    assert "1001.0" in autograded


def test_second_run_resumed_without_regrading(demo):
    assert "skipped 5 already graded" in demo.second.stdout and "graded 2" in demo.second.stdout
    after = {p.name: p.stat().st_mtime_ns for p in (demo.root / "results" / demo.assignment).glob("*.json")}
    assert all(after[name] == mtime for name, mtime in demo.mtimes.items())
    assert "gradebook (nbgrader)" in demo.first.stdout and "reference" in demo.first.stdout


def test_evaluator_recomputes_the_recorded_value(demo, tmp_path):
    from autograder.thresholds import Check, evaluate

    check = Check(name="modelo_final", model="modelo_final.keras", full=0.78, zero=0.5, points=4, validation=5000)
    value = evaluate(check, demo.root / "autograded" / "reference" / demo.assignment, tmp_path)["value"]
    recorded = [c for c in demo.results["reference"]["checks"] if c["name"] == "modelo_final"][0]["value"]
    assert value == pytest.approx(recorded)


def test_demo_checks_its_own_grades(demo):
    from autograder.demo import check_grades

    assert check_grades(demo.results) == []
    assert "demo check: every submission got the grade it should" in demo.first.stdout
    worse = {**demo.results, "reference": {**demo.results["reference"], "score": 7.0}}
    del worse["hang"]
    problems = check_grades(worse)
    assert len(problems) == 2 and problems[0].startswith("reference: expected ok") and problems[1] == "hang: not graded"
