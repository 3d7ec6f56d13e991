"""Shared fixtures: an isolated cache per session, fast mode on, and the real-data marker."""

from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory) -> str:
    cache = tmp_path_factory.mktemp("course-cache")
    cache.chmod(0o755)  # as ~/.cache/course-kit is: the grader's sandboxed user reads it
    return str(cache)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, session_cache):
    """Never touch the user's cache; never pick up a data folder from the developer's shell."""
    monkeypatch.setenv("COURSE_CACHE_DIR", session_cache)
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)


def fashion_mnist_available() -> bool:
    from course.datasets import FASHION_MNIST
    from course.datasets.store import DatasetNotFoundError, locate

    try:
        locate(FASHION_MNIST, download=False, warn=lambda _msg: None)
    except DatasetNotFoundError:
        return False
    return True


def pytest_collection_modifyitems(config, items):
    needs = [item for item in items if item.get_closest_marker("needs_data")]
    if not needs:
        return
    if os.environ.get("CI") and not fashion_mnist_available():
        # In CI the data is installed by .ci/run: its absence is a broken build, not a skip.
        return
    if not fashion_mnist_available():
        skip = pytest.mark.skip(reason="Fashion-MNIST not found: apt-get install dataset-fashion-mnist")
        for item in needs:
            item.add_marker(skip)
