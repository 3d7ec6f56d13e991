#!/usr/bin/env bash
# Set up a fresh machine from the project's own files: the offline dataset, PyTorch, the kit.
# Idempotent; used by `make setup` (and so by `make demo`, `make test` and .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || return 1
        sudo="sudo -n"
    fi
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

# Debian packages: Fashion-MNIST offline, bubblewrap for the grader's sandbox, and headless Chromium,
# in which the tests open the class report (they skip without it).
need=()
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1 && apt_install "${need[@]}"; then
        echo "setup: installed ${need[*]}"
    else
        echo "setup: could not install ${need[*]} with apt-get; Fashion-MNIST will be downloaded on first use," \
             "and the report's browser tests are skipped" >&2
    fi
fi

# The exact versions CI tested (requirements/constraints.txt, made by scripts/lock.py), where
# this Python is the one they were locked for; elsewhere pyproject.toml's ranges alone.
# COURSE_CONSTRAINTS=none installs by the ranges; COURSE_CONSTRAINTS=FILE uses another lock.
constraints=${COURSE_CONSTRAINTS:-requirements/constraints.txt}
if [ "$constraints" != none ]; then
    locked=$(sed -n 's/^# python \([0-9.]*\) .*/\1/p' "$constraints")
    running=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    if [ "$locked" != "$running" ]; then
        echo "setup: $constraints is locked for Python $locked, this is $running: installing by pyproject.toml's ranges" >&2
        constraints=none
    fi
fi
pin=()
[ "$constraints" = none ] || pin=(-c "$constraints")

# PyTorch first, pinned: on the course machines this is the CPU wheel on disk. The project's own
# torch requirement is a range that 2.13 satisfies, so the next step adds no other torch build.
"$PYTHON" -m pip install -q "${pin[@]}" "torch==2.13.0"
"$PYTHON" -m pip install -q "${pin[@]}" -e ".[all,test]"
echo "setup: done ($("$PYTHON" -c 'import course, sys; print("course", course.__version__, "in", sys.prefix)'))"
