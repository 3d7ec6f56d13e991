import pytest

from course.cli import main


def test_data_status_reports_bundled_sets(capsys):
    main(["data", "status", "iris", "regression"])
    out = capsys.readouterr().out
    assert "iris: ok (bundled with scikit-learn)" in out


def test_offline_dataset_reports_fixes_and_fails(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.keras copy of MNIST
    assert main(["data", "status", "mnist"]) == 1
    out = capsys.readouterr().out
    assert "mnist: NOT AVAILABLE" in out and "COURSE_DATA_DIR" in out


@pytest.mark.needs_data
def test_fetch_fashion_mnist_says_from_where(capsys):
    assert main(["data", "fetch", "fashion-mnist"]) == 0
    assert "fashion-mnist: ok (" in capsys.readouterr().out


def test_info_runs_without_gpu(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "Devices:" in out and "numpy" in out
