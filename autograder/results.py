"""Typed results, one vocabulary from the worker to ``results/ASSIGNMENT/STUDENT.json``.

- :class:`Item`: one graded item (a grade cell, an open task, a check such as a threshold) with
  ``points`` out of ``max``: the entries of the results JSON's ``checks``.
- :class:`Flag` (for an instructor, never changes a score), :class:`NotAllowed` (a cell that
  called a kit name the assignment forbids).
- :class:`NotebookResult` and :class:`WorkerResult`: what a worker hands to the parent
  (``result.json`` in its out dir).
- :class:`GradeResult`: the results JSON the parent writes last, with ``to_dict()`` (its keys,
  stable: other tools read them) and ``to_gradescope()`` (Gradescope's ``results.json``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Worst first: the status of a submission is the worst status of its notebooks.
STATUS_ORDER = ("error", "timeout", "memory", "disk", "crashed", "oversize", "invalid", "tampered", "ok")


def worst(statuses: list[str]) -> str:
    return min(statuses or ["ok"], key=STATUS_ORDER.index)


@dataclass
class Item:
    """A graded item; ``points`` is ``None`` while it waits for a manual grade."""

    name: str
    notebook: str | None
    kind: str  # "tests", "answer", "written", "task", or a check's kind ("threshold", "required_file", ...)
    points: float | None
    max: float
    message: str
    manual: bool = False
    visibility: str = "visible"  # "after_published": holds hidden tests
    value: float | None = None  # what a check measured
    metric: str | None = None
    leak: dict[str, Any] | None = None  # a threshold's second split (see thresholds.leak_flag)
    fault: str | None = None  # the grader could not run the check: graded again by the next run (internal)

    def to_dict(self) -> dict[str, Any]:
        """The results JSON's entry: ``value``/``metric`` only for a measured check, ``leak`` when measured."""
        data = {k: getattr(self, k) for k in ("name", "notebook", "kind", "points", "max", "message", "manual",
                                              "visibility")}
        if self.metric is not None or self.value is not None:
            data.update(value=self.value, metric=self.metric)
        if self.leak is not None:
            data["leak"] = self.leak
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class Flag:
    """Something for an instructor to review; ``evidence`` keys join the JSON (``gap``, ``values``)."""

    kind: str
    check: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "check": self.check, "message": self.message, **self.evidence}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Flag:
        rest = {k: v for k, v in data.items() if k not in ("kind", "check", "message")}
        return cls(data["kind"], data["check"], data["message"], rest)


@dataclass
class NotAllowed:
    notebook: str
    cell: str
    message: str


@dataclass
class NotebookResult:
    name: str
    status: str = "ok"
    detail: str = ""
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    not_allowed: list[NotAllowed] = field(default_factory=list)

    def fail(self, status: str, detail: str) -> NotebookResult:
        self.status, self.detail = status, detail
        return self


@dataclass
class WorkerResult:
    """What one worker returns; only the parent turns it into gradebook rows and a results JSON."""

    student: str
    assignment: str
    status: str
    detail: str = ""
    notebooks: list[NotebookResult] = field(default_factory=list)
    checks: list[Item] = field(default_factory=list)  # the check kinds' results (thresholds.toml)
    notes: list[str] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    not_allowed: list[NotAllowed] = field(default_factory=list)
    sandbox: str = "none"
    runtime_s: float | None = None
    device: str = "cpu"
    peak_memory_mb: float | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["flags"] = [f.to_dict() for f in self.flags]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkerResult:
        def items(raw: list[dict[str, Any]]) -> list[Item]:
            return [Item.from_dict(i) for i in raw]

        def banned(raw: list[dict[str, Any]]) -> list[NotAllowed]:
            return [NotAllowed(**u) for u in raw]

        notebooks = [NotebookResult(**{**nb, "items": items(nb.get("items", [])),
                                       "not_allowed": banned(nb.get("not_allowed", []))})
                     for nb in data.get("notebooks", [])]
        return cls(**{**data, "notebooks": notebooks, "checks": items(data.get("checks", [])),
                      "flags": [Flag.from_dict(f) for f in data.get("flags", [])],
                      "not_allowed": banned(data.get("not_allowed", []))})

    @classmethod
    def failed(cls, student: str, assignment: str, status: str, detail: str, device: str) -> WorkerResult:
        """What a worker that returned nothing (killed, or died) is graded as: zero everywhere."""
        return cls(student, assignment, status, detail, device=device)


GRADESCOPE_KEYS = ("score", "execution_time", "output", "visibility", "stdout_visibility", "tests", "leaderboard")


@dataclass
class GradeResult:
    """``results/ASSIGNMENT/STUDENT.json``: ours plus Gradescope's ``results.json`` keys."""

    student: str
    assignment: str
    status: str
    message: str
    score: float
    max_score: float
    late_penalty: float
    needs_manual_grade: bool
    checks: list[Item]
    runtime_s: float | None
    device: str
    seed: int
    peak_memory_mb: float | None
    detail: str
    notes: list[str]
    tampered: list[str]
    flags: list[Flag]
    not_allowed: list[NotAllowed]
    sandbox: str
    fingerprint: str
    graded_at: str
    output: str  # Gradescope's top-level output: the message and what waits for a manual grade
    leaderboard: list[dict[str, Any]] = field(default_factory=list)  # Gradescope's: the measured checks

    def tests(self) -> list[dict[str, Any]]:
        return [{"name": f"{c.notebook}: {c.name}" if c.notebook else c.name, "score": c.points or 0.0,
                 "max_score": c.max, "output": c.message, "visibility": c.visibility} for c in self.checks]

    def to_gradescope(self) -> dict[str, Any]:
        """Gradescope's ``results.json``."""
        return {"score": self.score, "execution_time": self.runtime_s, "output": self.output,
                "visibility": "visible", "stdout_visibility": "hidden", "tests": self.tests(),
                "leaderboard": self.leaderboard}

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "output"}
        data.update(checks=[c.to_dict() for c in self.checks], flags=[f.to_dict() for f in self.flags],
                    not_allowed=[asdict(u) for u in self.not_allowed])
        data.update(self.to_gradescope())
        return data
