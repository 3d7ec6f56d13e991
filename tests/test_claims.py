import json

import numpy as np
import pytest

import course
from course.claims import ENV_CLAIMS_FILE, ENV_STRICT, ClaimFailed, claim, read_claims


@pytest.fixture
def claims_file(tmp_path, monkeypatch):
    path = tmp_path / "claims.jsonl"
    monkeypatch.setenv(ENV_CLAIMS_FILE, str(path))
    return path


def test_full_mode_records_and_raises_when_it_does_not_hold(claims_file, monkeypatch):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    monkeypatch.setenv(ENV_STRICT, "1")
    assert claim("relu_beats_sigmoid", {"relu": np.float32(0.87), "sigmoid": 0.80}, np.bool_(True))
    with pytest.raises(ClaimFailed, match="zeros_at_chance") as info:
        claim("zeros_at_chance", {"accuracy": 0.3}, 0.3 < 0.15, says="se queda en el azar")
    assert "se queda en el azar" in str(info.value) and "accuracy = 0.3" in str(info.value)
    assert isinstance(info.value, AssertionError)
    first, second = read_claims(claims_file)
    assert first == {"name": "relu_beats_sigmoid", "values": {"relu": 0.87, "sigmoid": 0.8}, "held": True,
                     "checked": True, "fast": False}
    assert second["held"] is False and second["says"] == "se queda en el azar"


def test_a_students_full_run_warns_and_goes_on(claims_file, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    monkeypatch.delenv(ENV_STRICT, raising=False)
    assert claim("zeros_at_chance", {"accuracy": 0.3}, False, says="se queda en el azar") is False
    out = capsys.readouterr().out
    assert "AVISO" in out and "se queda en el azar" in out and "0.3" in out
    assert read_claims(claims_file)[0]["held"] is False


def test_fast_mode_only_records_unless_checked_in_both_modes(claims_file, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert claim("late_plateau", {"epochs": [1, 2]}, False) is False
    assert "modo rápido" in capsys.readouterr().out
    with pytest.raises(ClaimFailed):
        claim("always", {"x": 1}, False, full_only=False)
    records = read_claims(claims_file)
    assert [r["checked"] for r in records] == [False, True] and all(r["fast"] for r in records)


def test_values_become_plain_json(claims_file, monkeypatch):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    claim("arrays", {"per_epoch": np.array([0.1, 0.25]), "nan": float("nan"), "none": None, "label": "sgd"}, True)
    (record,) = [json.loads(line) for line in claims_file.read_text().splitlines()]
    assert record["values"] == {"per_epoch": [0.1, 0.25], "nan": None, "none": None, "label": "sgd"}


def test_without_the_file_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_CLAIMS_FILE, raising=False)
    monkeypatch.chdir(tmp_path)
    assert claim("quiet", {"x": 1.0}, True)
    assert list(tmp_path.iterdir()) == [] and read_claims(tmp_path / "missing.jsonl") == []


def test_shortcut():
    assert course.claim is claim
