"""The results JSON keeps its keys; Gradescope's part on its own; a worker's result survives JSON."""

import json

from autograder.results import Flag, GradeResult, Item, NotAllowed, NotebookResult, WorkerResult

KEYS = ["student", "assignment", "status", "message", "score", "max_score", "late_penalty", "needs_manual_grade",
        "checks", "runtime_s", "device", "seed", "peak_memory_mb", "detail", "notes", "tampered", "flags",
        "not_allowed", "sandbox", "fingerprint", "graded_at", "leaderboard", "execution_time", "output", "visibility",
        "stdout_visibility", "tests"]


def result() -> GradeResult:
    checks = [Item("t", "nb", "tests", 1.0, 2.0, "Falló."),
              Item("m", None, "threshold", 3.0, 4.0, "Crédito parcial.", value=0.87, metric="accuracy",
                   leak={"split": "test", "value": 0.8, "n": 10}),
              Item("r", "nb", "written", None, 1.0, "Pendiente.", manual=True, visibility="after_published")]
    return GradeResult("ana", "a1", "ok", "La libreta se ejecutó completa.", 4.0, 7.0, 0.0, True, checks, 1.5, "cpu",
                       42, 100.0, "", [], [], [Flag("leak", "m", "¿fuga?", {"gap": 0.07})],
                       [NotAllowed("nb", "t", "no")], "bwrap", "abc", "2024-01-01T00:00:00+00:00",
                       "La libreta se ejecutó completa. Pendiente de corrección manual: r.")


def test_the_results_json_keeps_its_keys_and_vocabulary():
    data = result().to_dict()
    assert list(data) == KEYS
    assert data["checks"][0] == {"name": "t", "notebook": "nb", "kind": "tests", "points": 1.0, "max": 2.0,
                                 "message": "Falló.", "manual": False, "visibility": "visible"}
    assert data["checks"][1]["value"] == 0.87 and data["checks"][1]["leak"]["split"] == "test"
    assert data["flags"] == [{"kind": "leak", "check": "m", "message": "¿fuga?", "gap": 0.07}]
    assert data["not_allowed"] == [{"notebook": "nb", "cell": "t", "message": "no"}]
    assert data["tests"][1] == {"name": "m", "score": 3.0, "max_score": 4.0, "output": "Crédito parcial.",
                                "visibility": "visible"}
    assert data["tests"][2]["name"] == "nb: r" and data["tests"][2]["score"] == 0.0


def test_gradescope_gets_its_own_keys_only():
    assert set(result().to_gradescope()) == {"score", "execution_time", "output", "visibility", "stdout_visibility",
                                             "tests", "leaderboard"}


def test_a_workers_result_survives_json():
    worker = WorkerResult("ana", "a1", "tampered", "x", [NotebookResult("nb", "tampered", "x", [Item("t", "nb", "tests",
                          1.0, 1.0, "Correcto.")], ["nota"], ["t (borrada)"], [NotAllowed("nb", "t", "no")])],
                          [Item("m", None, "threshold", 0.0, 4.0, "e", fault="evaluator")],
                          flags=[Flag("leak", "m", "?", {"gap": 0.1})])
    again = WorkerResult.from_json(json.loads(json.dumps(worker.to_json())))
    assert again == worker
