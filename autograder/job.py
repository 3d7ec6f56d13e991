"""The job format: everything a worker needs to grade one submission, as JSON (``OUT_DIR/job.json``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import sandbox as sbx


@dataclass
class Job:
    """Everything a worker needs; it is written to ``out_dir/job.json`` too."""

    course_root: str
    course_id: str
    assignment: str
    student: str
    submission_dir: str
    source_dir: str
    notebooks: list[str]
    db_url: str
    out_dir: str
    cell_timeout: int = 600
    timeout: float = 1800
    memory_limit: int | None = None  # bytes for the kernel and its children
    seed: int = 42
    env: dict[str, str] = field(default_factory=dict)
    device: str = "cpu"
    checks: list[dict[str, Any]] = field(default_factory=list)  # specs of autograder.checks kinds ("kind" key)
    ignore: list[str] = field(default_factory=list)
    exclude_overwriting: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)  # the sections the worker's classes read (JSON)
    fingerprint: str = ""  # of the submitted files, for resuming
    sandbox: dict[str, Any] = field(default_factory=dict)  # a sandbox.Sandbox; {} or mode "none": no sandbox
    forbid: list[str] = field(default_factory=list)  # kit names the kernels go without (autograder.restrict)

    def limits(self) -> sbx.Limits:
        """Disk and output limits apply with or without the sandbox."""
        return sbx.Limits(**self.sandbox.get("limits", {}))

    def sandbox_spec(self) -> sbx.Sandbox | None:
        if not self.sandbox or self.sandbox.get("mode", "none") == "none":
            return None
        return sbx.Sandbox(**{**self.sandbox, "limits": self.limits(), "forbid": self.forbid,
                              "assignment": self.assignment})

    @property
    def gpu(self) -> bool:
        return self.device.startswith("gpu")


def write_job(job: Job) -> Path:
    path = Path(job.out_dir) / "job.json"
    path.write_text(json.dumps(asdict(job), ensure_ascii=False, indent=1))
    return path


def read_job(path: str | Path) -> Job:
    return Job(**json.loads(Path(path).read_text()))
