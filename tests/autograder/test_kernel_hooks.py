"""The kernel's on-import hook, shared by the seeds and the GPU memory cap."""

from __future__ import annotations

import subprocess
import sys

from autograder.kernel_hooks import with_on_import

BODY = '''
import json, sys
ran = []
__autograder_on_import({{"json": lambda m: ran.append(m.__name__), "colorsys": lambda m: ran.append(m.__name__),
                        "wave": lambda m: 1 / 0}}, "TestOnImport", warn={warn})
'''


def run(warn: bool) -> subprocess.CompletedProcess:
    program = with_on_import(BODY).format(warn=warn) + """
assert "__autograder_on_import" not in globals()
assert "colorsys" not in sys.modules and ran == ["json"]  # imported already: at once; the others wait
import colorsys, wave
print(ran, [type(f).__name__ for f in sys.meta_path].count("TestOnImport"))
"""
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)


def test_hooks_run_once_on_import_and_the_finder_leaves_when_done():
    done = run(warn=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "['json', 'colorsys'] 0"
    assert "TestOnImport not applied to wave: division by zero" in done.stderr  # a failing hook never breaks the import


def test_a_silent_hook_fails_quietly():
    done = run(warn=False)
    assert done.returncode == 0 and done.stderr == ""
