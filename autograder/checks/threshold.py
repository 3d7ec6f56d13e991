"""Threshold checks and their leak flags (the measuring itself is :mod:`autograder.thresholds`)."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

from .. import messages as msg
from .. import thresholds
from ..results import Flag, Item
from .base import CheckContext, CheckKind


def as_check(spec: dict[str, Any]) -> thresholds.Check:
    return thresholds.Check(**{k: v for k, v in spec.items() if k != "kind"})


class ThresholdCheck(CheckKind):
    """A metric of the saved model, measured by the grader on its own data; linear partial credit."""

    kind = "threshold"

    def parse(self, name: str, table: dict[str, Any], where: str) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(thresholds.parse_check(name, table, where))}

    def files(self, spec: dict[str, Any]) -> list[str]:
        return thresholds.model_files(as_check(spec))

    def measure(self, spec: dict[str, Any], context: CheckContext, max_points: float | None) -> Item:
        check = as_check(spec)
        evaluation = thresholds.evaluate(check, context.work, context.scratch, sandbox=context.sandbox,
                                         env=context.env or dict(os.environ), gpu=context.gpu,
                                         timeout=context.timeout, memory_limit=context.memory_limit,
                                         limits=context.limits)
        if "fault" in evaluation:  # the grader's own: status error, graded again by the next run
            points = check.points if max_points is None else max_points
            return Item(check.name, None, self.kind, 0.0, points, msg.status_message("error", evaluation["fault"]),
                        metric=check.metric, fault=evaluation["fault"])
        graded = thresholds.grade_check(check, evaluation, max_points=max_points)
        return Item(check.name, None, self.kind, graded["score"], graded["max_score"], graded["message"],
                    value=graded["value"], metric=check.metric, leak=evaluation.get("leak"))


class LeakFlag(CheckKind):
    """Flags a threshold check whose split beats its ``leak_split`` by more than ``leak_gap``."""

    kind = "leak"
    has_tables = False

    def review(self, spec: dict[str, Any], item: Item) -> Flag | None:
        if spec.get("kind", "threshold") != "threshold" or item.value is None or item.leak is None:
            return None
        found = thresholds.leak_flag(as_check(spec), {"value": item.value, "leak": item.leak})
        if found is None:
            return None
        return Flag(found["kind"], found["check"], found["message"],
                    {"gap": found["gap"], "values": found["values"]})
