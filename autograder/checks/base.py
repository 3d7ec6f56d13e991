"""The interface of a check kind; see :mod:`autograder.checks`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from traitlets.config import LoggingConfigurable

from ..results import Flag, Item
from ..sandbox import Limits, Sandbox


@dataclass
class CheckContext:
    """Where a check runs: the working folder (plain files only, the kernel gone), a scratch
    folder of its own, and what a sandboxed evaluator needs."""

    work: Path
    scratch: Path
    sandbox: Sandbox | None = None
    env: dict[str, str] = field(default_factory=dict)
    gpu: bool = False
    timeout: float = 600
    memory_limit: int | None = None
    limits: Limits = field(default_factory=Limits)


class CheckKind(LoggingConfigurable):
    """A kind of check. In the parent, :meth:`parse` turns each table of its ``kind`` into a spec
    (JSON, part of the job); in the worker, :meth:`measure` grades a spec, and :meth:`review` may
    flag any check's result for an instructor (a flag never changes a score)."""

    kind: ClassVar[str] = ""
    has_tables: ClassVar[bool] = True  # False: it only reviews other kinds' results
    uses: ClassVar[tuple[type, ...]] = ()  # other configurables it builds (their config goes to workers)

    def parse(self, name: str, table: dict[str, Any], where: str) -> dict[str, Any]:
        """The spec of one table (raise ``ValueError`` naming ``where`` on a bad one)."""
        raise NotImplementedError

    def files(self, spec: dict[str, Any]) -> list[str]:
        """Files of the working folder the check reads: kept when the folder is over its bounds."""
        return []

    def measure(self, spec: dict[str, Any], context: CheckContext, max_points: float | None) -> Item:
        """Grade one spec; ``max_points``: the points of the grade cell named like the check, if any."""
        raise NotImplementedError

    def review(self, spec: dict[str, Any], item: Item) -> Flag | None:
        return None
