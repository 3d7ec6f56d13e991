"""The threshold evaluator: checked copies in, predictions out, the metric computed by the grader."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from autograder.sandbox import Sandbox, probe
from autograder.thresholds import (
    Check,
    evaluate,
    framework_of,
    grade_check,
    leak_flag,
    measure,
    metric,
    model_files,
    stage_file,
)


def sandbox_or_none():
    return Sandbox(mode="bwrap") if probe() is None else None


def test_metrics():
    y = np.array([0, 1, 2, 1])
    probs = np.eye(3)[[0, 1, 1, 1]]
    assert metric("accuracy", y, probs) == 0.75
    assert metric("accuracy", np.array([0, 1]), np.array([[0.2], [0.9]])) == 1.0  # one sigmoid output
    assert metric("accuracy", np.array([0, 1]), np.array([[-3.0], [2.0]])) == 1.0  # one logit
    assert metric("mse", np.array([1.0, 3.0]), np.array([[2.0], [3.0]])) == 0.5
    assert metric("mae", np.array([1.0, 3.0]), np.array([2.0, 1.0])) == 1.5


def test_predictions_are_checked_before_the_metric():
    y = np.array([0, 1, 1])
    assert measure("accuracy", y, np.eye(2)[[0, 1, 1]]) == {"value": 1.0, "n": 3}
    assert "forma" in measure("accuracy", y, np.zeros((2, 2)))["error"]
    assert "no finitas" in measure("accuracy", y, np.array([[np.nan, 1.0]] * 3))["error"]
    assert "forma" in measure("accuracy", y, np.array(["a", "b", "c"]))["error"]


def test_the_loader_is_chosen_by_the_declared_name_and_opens_only_its_files():
    keras_check = Check(name="m", model="sub/final.keras", full=0.9, zero=0.5, points=1)
    torch_check = Check(name="m", model="final.pt", full=0.9, zero=0.5, points=1)
    assert framework_of(keras_check) == "keras" and model_files(keras_check) == ["sub/final.keras"]
    assert framework_of(torch_check) == "torch" and model_files(torch_check) == ["final.pt", "final.json"]
    forced = Check(name="m", model="final.keras", full=0.9, zero=0.5, points=1, framework="torch")
    assert model_files(forced) == ["final.keras.pt", "final.keras.json"]


def test_only_a_plain_file_of_its_own_is_copied(tmp_path):
    work, dest = tmp_path / "work", tmp_path / "dest"
    work.mkdir()
    (work / "ok.keras").write_bytes(b"1234")
    assert stage_file(work, "ok.keras", dest / "ok.keras", 100) is None
    assert (dest / "ok.keras").read_bytes() == b"1234"
    outside = tmp_path / "gradebook.db"
    outside.write_text("secret")
    (work / "link.keras").symlink_to(outside)
    (work / "folder").symlink_to(tmp_path)
    (work / "shared.keras").write_bytes(b"1234")
    os.link(work / "shared.keras", work / "hard.keras")
    os.mkfifo(work / "fifo.keras")
    (work / "dir.keras").mkdir()
    problems = {name: stage_file(work, name, dest / "x", 100) for name in
                ("link.keras", "folder/gradebook.db", "hard.keras", "fifo.keras", "dir.keras", "../gradebook.db",
                 "/etc/passwd", "missing.keras")}
    assert "enlace simbólico" in problems["link.keras"] and "enlace simbólico" in problems["folder/gradebook.db"]
    assert "enlaces duros" in problems["hard.keras"]
    assert "no es un archivo normal" in problems["fifo.keras"] and "no es un archivo normal" in problems["dir.keras"]
    assert "sale de la carpeta" in problems["../gradebook.db"] and "sale de la carpeta" in problems["/etc/passwd"]
    assert "no se encontró" in problems["missing.keras"]
    assert "máximo" in stage_file(work, "ok.keras", dest / "y", 3)
    assert not (dest / "x").exists() and not (dest / "y").exists()


@pytest.mark.needs_data
def test_torch_model_is_evaluated_from_its_state_dict_and_config(tmp_path):
    torch = pytest.importorskip("torch")
    from course.datasets import load_fashion_mnist
    from course.models import MLPConfig
    from course.torch import build_mlp, load_model, save_model

    (X_train, y_train), (X_valid, y_valid), _ = load_fashion_mnist(validation=5000)
    torch.manual_seed(0)
    config = MLPConfig(hidden=(32,), output_activation=None)
    model = build_mlp(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    X, y = torch.from_numpy(X_train[:3000]), torch.from_numpy(y_train[:3000]).long()
    for start in range(0, 3000, 100):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X[start:start + 100]), y[start:start + 100]).backward()
        optimizer.step()
    save_model(model, tmp_path / "work" / "final_model")
    with torch.no_grad():
        expected = float((load_model(tmp_path / "work" / "final_model.pt")(torch.from_numpy(X_valid)).argmax(1).numpy()
                          == y_valid).mean())

    check = Check(name="final_model", model="final_model.pt", full=0.9, zero=0.5, points=10, validation=5000)
    result = evaluate(check, tmp_path / "work", tmp_path / "scratch", sandbox=sandbox_or_none(), timeout=300)
    assert result.get("n") == 5000, result
    assert result["value"] == pytest.approx(expected) and result["value"] > 0.5
    assert 0 < grade_check(check, result)["score"] < 10

    # The leak split is predicted in the same run: an honest model scores alike on both.
    both = dataclasses.replace(check, leak_split="test")
    result = evaluate(both, tmp_path / "work", tmp_path / "scratch2", sandbox=sandbox_or_none(), timeout=300)
    assert result["value"] == pytest.approx(expected) and result["leak"]["n"] == 10000
    assert abs(result["value"] - result["leak"]["value"]) < 0.03 and leak_flag(both, result) is None


def test_command_line_says_ready_then_reports_errors_as_json(tmp_path):
    np.save(tmp_path / "inputs.npy", np.zeros((4, 28, 28), dtype=np.float32))
    out = subprocess.run([sys.executable, "-m", "autograder.evaluate", "--framework", "torch",
                          "--inputs", str(tmp_path / "inputs.npy"), "--out", str(tmp_path / "pred.npy"),
                          "--model", str(tmp_path / "m.pt")], capture_output=True, text=True, timeout=300)
    replies = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert out.returncode == 1 and replies[0] == {"ready": True} and "error" in replies[-1]
    assert not (tmp_path / "pred.npy").exists()
