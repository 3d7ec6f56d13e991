import numpy as np

from course.config import budget, fast_mode, subset


def test_budget_follows_course_fast(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert fast_mode() and budget(full=30, fast=2) == 2
    for off in ("", "0", "false"):
        monkeypatch.setenv("COURSE_FAST", off)
        assert not fast_mode() and budget(full=30, fast=2) == 30


def test_subset_is_seeded_and_keeps_pairs():
    X, y = np.arange(100).reshape(50, 2), np.arange(50)
    Xs, ys = subset(X, y, 10, seed=3)
    assert len(Xs) == 10 and (Xs[:, 0] // 2 == ys).all()
    np.testing.assert_array_equal(Xs, subset(X, y, 10, seed=3)[0])
    assert subset(X, y, None)[0] is X
