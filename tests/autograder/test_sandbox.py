"""The sandbox as a boundary: arbitrary code inside changes nothing outside, wherever the kit lives.

The evaluator loads student model files; Keras' ``safe_mode`` and PyTorch's ``weights_only`` are
deny-lists, so these tests assume the worst, a loader that runs the attacker's code, and run
that code directly in the evaluator's sandbox (:func:`autograder.sandbox.run_contained`).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import sysconfig
from pathlib import Path

import pytest

from autograder import sandbox as sbx

ROOT = Path(__file__).resolve().parents[2]

HOSTILE = r"""
import json, os, socket, subprocess, sys, time
course, site, port, marker = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
done = {}
def attempt(name, action):
    try:
        action()
        done[name] = "succeeded"
    except Exception as exc:
        done[name] = type(exc).__name__
attempt("gradebook", lambda: open(os.path.join(course, "gradebook.db"), "w").write("0"))
attempt("site_packages", lambda: open(os.path.join(site, "zz_planted.pth"), "w").write("import os"))
attempt("model_copy", lambda: open("/model/inputs.npy", "w").write("x"))
attempt("labels", lambda: open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", "rb").read())
attempt("network", lambda: socket.create_connection(("127.0.0.1", port), timeout=2))
attempt("kill_init", lambda: os.kill(1, 9) if os.getpid() != 1 else None)
# a survivor: its own session, out of the process group
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", marker], start_new_session=True)
json.dump(done, open("/out/report.json", "w"))
print(json.dumps({"ready": True}))
"""


def bwrap_or_skip() -> None:
    reason = sbx.probe()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the sandbox must run in CI: {reason}")
        pytest.skip(f"no sandbox here: {reason}")


def contained(tmp_path: Path, code: str, *args: str, timeout: float = 60, memory: int | None = None,
              hide: list[str] | None = None) -> tuple[sbx.Finished, Path]:
    model, out = tmp_path / "model", tmp_path / "out"
    model.mkdir(parents=True, exist_ok=True)
    out.mkdir(exist_ok=True)
    (model / "inputs.npy").write_text("inputs")
    sandbox = sbx.Sandbox(mode="bwrap", hide=hide or [], data=[])
    sandbox.hide += sbx.dataset_dirs()
    done = sbx.run_contained([sys.executable, "-c", code, *args], sandbox=sandbox, scratch=tmp_path / "run",
                             env=dict(os.environ), binds=[(model, "/model", False), (out, "/out", True)],
                             chdir="/tmp", timeout=timeout, memory_limit=memory)
    return done, out


def test_arbitrary_code_in_the_evaluator_changes_nothing_outside(tmp_path):
    bwrap_or_skip()
    course = tmp_path / "course"
    course.mkdir()
    (course / "gradebook.db").write_text("grades")
    marker = f"survivor-{os.getpid()}-{tmp_path.name}"
    site = sysconfig.get_paths()["purelib"]
    server = socket.create_server(("127.0.0.1", 0))
    try:
        done, out = contained(tmp_path, HOSTILE, str(course), site, str(server.getsockname()[1]), marker,
                              hide=[str(course)])
    finally:
        server.close()
    assert done.killed is None and '{"ready": true}' in done.stdout, done.stderr
    report = json.loads((out / "report.json").read_text())
    assert all(result != "succeeded" for name, result in report.items() if name != "kill_init"), report
    assert (course / "gradebook.db").read_text() == "grades"
    assert not Path(site, "zz_planted.pth").exists()
    assert (tmp_path / "model" / "inputs.npy").read_text() == "inputs"
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and marker in _cmdline(pid)]  # not even a new session


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_memory_and_time_limits_stop_the_whole_tree(tmp_path):
    bwrap_or_skip()
    bomb = "import os\nos.fork()\nblocks = []\nwhile True:\n    blocks.append(bytearray(50_000_000))"
    done, _ = contained(tmp_path / "a", bomb, memory=400 * 2**20, timeout=60)
    assert done.killed == "memory" and done.peak_memory > 400 * 2**20
    done, _ = contained(tmp_path / "b", "import time\ntime.sleep(60)", timeout=2)
    assert done.killed == "timeout"


def test_tmp_and_home_are_writable_and_the_host_paths_stay_hidden(tmp_path):
    bwrap_or_skip()
    course = tmp_path / "my-course"
    course.mkdir()
    code = ("import os, tempfile\n"
            "tempfile.NamedTemporaryFile(dir='/tmp').write(b'x')\n"
            "open(os.path.expanduser('~/notes'), 'w').write('x')\n"
            "import course, matplotlib.pyplot\n"
            "print(open('/proc/self/mountinfo').read())")
    done, _ = contained(tmp_path, code)
    assert done.returncode == 0, done.stderr
    assert str(course) not in done.stdout
    if not str(Path(sys.prefix).resolve()).startswith(str(ROOT)):  # a venv inside the checkout shows its path
        assert str(ROOT) not in done.stdout


def test_mounts_are_made_shallowest_first(tmp_path, monkeypatch):
    """A virtual environment under /tmp must be bound after /tmp's tmpfs, never hidden by it."""
    venv = Path("/tmp") / tmp_path.name / "venv"
    venv.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(sbx, "python_paths", lambda: [venv])
    cmd = sbx.bwrap_command(["python"], sandbox=sbx.Sandbox(mode="bwrap"), uid=None, env={}, gpu=False,
                            binds=[(tmp_path, "/submission", True)], chdir="/submission")
    tmpfs = cmd.index("/tmp", cmd.index("--tmpfs"))
    bound = [i for i, arg in enumerate(cmd) if arg == "--ro-bind" and cmd[i + 2] == str(venv)]
    assert bound and bound[0] > tmpfs
    perms = cmd[cmd.index("--tmpfs") - 4:cmd.index("--tmpfs")]
    assert perms[:2] == ["--perms", "1777"]  # the sandbox's user writes its /tmp


def test_a_python_environment_the_sandbox_cannot_read_stops_the_preflight(tmp_path, monkeypatch):
    from autograder import preflight

    if os.geteuid() != 0:
        pytest.skip("only root grades with a sandbox uid of its own")
    closed = tmp_path / "venv"
    (closed / "lib").mkdir(parents=True)
    closed.chmod(0o700)
    monkeypatch.setattr(sbx, "python_paths", lambda: [closed / "lib", closed])
    assert sbx.unreadable(sbx.Sandbox(mode="bwrap")) == [f"{closed} (mode 700)"]
    with pytest.raises(preflight.PreflightError, match="chmod a\\+rX"):
        preflight.run(tmp_path, [], sbx.Sandbox(mode="bwrap"), {})
