"""The course folder seen through nbgrader: tools found beside this Python."""

import os
import sys
from pathlib import Path

from autograder.course import use_environment_tools


def test_this_pythons_tools_come_first_on_path(monkeypatch):
    bindir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", os.pathsep.join(["/usr/bin", bindir, "/bin"]))
    use_environment_tools()
    assert os.environ["PATH"].split(os.pathsep) == [bindir, "/usr/bin", "/bin"]
    monkeypatch.delenv("PATH")
    use_environment_tools()
    assert os.environ["PATH"] == bindir
