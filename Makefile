# The two commands of the README: `make demo` (set up, then the main job) and `make test`.
PYTHON ?= python3
# pytest workers: each file (a notebook's cells, the autograder's shared batch) stays on one worker
# (the scheduler in conftest.py).
JOBS ?= 2
export PYTHON

.PHONY: setup demo test lint bench

.install.stamp: pyproject.toml requirements/constraints.txt scripts/setup.sh
	bash scripts/setup.sh
	touch $@

setup: .install.stamp

demo: .install.stamp
	$(PYTHON) -m course info
	$(PYTHON) -m course data fetch fashion-mnist iris regression
	$(PYTHON) -m autograder.cli demo --out demo-course

test: .install.stamp
	COURSE_FAST=1 $(PYTHON) -m pytest -n $(JOBS)

# ruff and mypy, configured in pyproject.toml; part of .ci/run.
lint: .install.stamp
	$(PYTHON) -m ruff check .
	$(PYTHON) -m mypy

bench: .install.stamp
	for b in benchmarks/*.py; do $(PYTHON) $$b || exit 1; done
