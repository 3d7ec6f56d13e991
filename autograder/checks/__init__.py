"""Checks: what the grader measures itself once the kernel ended, beside the notebook's tests.

A check kind is a :class:`CheckKind` subclass listed in ``c.Autograder.checks``; its tables in
``thresholds.toml`` name it (``kind = "..."``; no ``kind`` is a threshold). The first kinds:
:class:`~.threshold.ThresholdCheck` (a metric of the saved model, measured in the sandbox),
:class:`~.threshold.LeakFlag` (flags a threshold's suspicious gap between two splits) and
:class:`~.required_file.RequiredFile` (a plain file the notebook must produce).
"""

from __future__ import annotations

from .base import CheckContext, CheckKind

__all__ = ["CheckContext", "CheckKind"]
