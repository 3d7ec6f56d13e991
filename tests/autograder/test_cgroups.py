"""Memory and processes: the kernel's limit in a cgroup where the grader may make one, the sampled
watchdog elsewhere. Both paths end a submission that eats memory as ``memory``."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from autograder import cgroups
from autograder.watchdog import Watchdog

HOG = "blocks = []\nwhile True:\n    blocks.append(bytearray(20_000_000))"
# Each child lets go of the pipes (the parent's output is read to its end) and sleeps until removed.
STORM = ("import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            os.closerange(0, 3)\n"
         "            time.sleep(600)\n"
         "            os._exit(0)\n        n += 1\nexcept OSError:\n    print(n)")


def cgroup_or_skip(memory: int | None, pids: int | None) -> cgroups.Cgroup:
    if os.geteuid() != 0:
        pytest.skip("only root makes cgroups: the sampled watchdog limits memory here")
    group = cgroups.create(memory, pids, "test")
    if group is None:
        pytest.skip("no writable cgroup hierarchy with memory and pids here: the sampled watchdog limits memory")
    return group


def test_the_kernel_enforces_memory_and_processes_in_a_cgroup(tmp_path):
    group = cgroup_or_skip(150 * 2**20, 40)
    try:
        watchdog = Watchdog(time.monotonic() + 60, 150 * 2**20, tmp_path / "pid", cgroup=group)
        hog = subprocess.Popen(group.wrap([sys.executable, "-c", HOG]), start_new_session=True)
        watchdog.watch(hog.pid)
        assert hog.wait(timeout=60) == -9  # the OOM killer, not the watchdog: it samples nothing here
        assert watchdog.out_of_memory() and watchdog.reason == "memory"
        assert group.peak() >= 100 * 2**20
    finally:
        group.remove()
    assert not any(folder.exists() for folder in group.folders.values())
    # Processes in a group of their own: the memory the hog left charged plays no part.
    group = cgroup_or_skip(None, 40)
    try:
        storm = subprocess.run(group.wrap([sys.executable, "-c", STORM]), capture_output=True, text=True, timeout=120)
        assert 0 < int(storm.stdout) < 40  # fork failed with EAGAIN at pids.max
        assert group.pids()  # the children sleep on, in the cgroup, until remove() kills them
    finally:
        group.remove()
    assert not any(folder.exists() for folder in group.folders.values())


def test_without_a_cgroup_the_watchdog_samples_the_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_NO_CGROUP", "1")
    assert cgroups.create(150 * 2**20, 40) is None
    watchdog = Watchdog(time.monotonic() + 60, 150 * 2**20, tmp_path / "pid")
    watchdog.start()
    try:
        hog = subprocess.Popen([sys.executable, "-c", HOG], start_new_session=True)
        watchdog.watch(hog.pid)
        assert hog.wait(timeout=60) == -9
    finally:
        watchdog.stop()
    assert watchdog.reason == "memory" and watchdog.peak > 150 * 2**20
