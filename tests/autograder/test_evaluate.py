import json
import subprocess
import sys

import numpy as np
import pytest

from autograder.evaluate import metric
from autograder.thresholds import Check, evaluate, grade_check


def test_metrics():
    y = np.array([0, 1, 2, 1])
    probs = np.eye(3)[[0, 1, 1, 1]]
    assert metric("accuracy", y, probs) == 0.75
    assert metric("accuracy", np.array([0, 1]), np.array([[0.2], [0.9]])) == 1.0  # one sigmoid output
    assert metric("accuracy", np.array([0, 1]), np.array([[-3.0], [2.0]])) == 1.0  # one logit
    assert metric("mse", np.array([1.0, 3.0]), np.array([[2.0], [3.0]])) == 0.5
    assert metric("mae", np.array([1.0, 3.0]), np.array([2.0, 1.0])) == 1.5


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
    save_model(model, config, tmp_path / "final_model")
    with torch.no_grad():
        expected = float((load_model(tmp_path / "final_model.pt")(torch.from_numpy(X_valid)).argmax(1).numpy()
                          == y_valid).mean())

    check = Check(name="final_model", model="final_model.pt", full=0.9, zero=0.5, points=10, validation=5000)
    result = evaluate(check, tmp_path, timeout=300)
    assert result["framework"] == "torch" and result["n"] == 5000
    assert result["value"] == pytest.approx(expected) and result["value"] > 0.5
    assert 0 < grade_check(check, result)["score"] < 10


def test_command_line_reports_errors_as_json(tmp_path):
    out = subprocess.run([sys.executable, "-m", "autograder.evaluate", "--model", str(tmp_path / "m.keras")],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "error" in json.loads(out.stdout)
