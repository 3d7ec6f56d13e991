"""Grouping for `pytest -n N --dist loadgroup` (the README's `make test`).

Each file runs on one worker: a notebook's cells must run in order in one kernel. The
autograder's tests share session fixtures (a graded demo batch), so they form one group.
"""

import pytest


def _group(item: pytest.Item) -> str:
    parts = item.path.parts
    if "tests" in parts and "autograder" in parts[parts.index("tests"):]:
        return "autograder"
    return str(item.path)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item)))
