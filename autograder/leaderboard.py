"""Leaderboards of threshold checks: Gradescope's ``leaderboard`` entries, rankings, and pseudonyms.

A threshold check's metric (measured by the grader, never the number a notebook printed) ranks
the class. In the report, students appear under a stable pseudonym by default: two Spanish words
and a number picked by an HMAC of the student id with a secret kept in the course folder
(``.autograder-secret``, made on first use), so a leaderboard can be shown to the class without
names, and the same student keeps the same alias from one assignment to the next.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any, Iterable, Mapping

SECRET_FILE = ".autograder-secret"
LOWER_IS_BETTER = {"mse", "mae", "rmse", "loss", "error", "log_loss", "cross_entropy"}

ANIMALS = ("Nutria", "Lince", "Garza", "Tejón", "Búho", "Zorro", "Foca", "Cigüeña", "Erizo", "Lobo", "Ardilla",
           "Halcón", "Delfín", "Castor", "Gacela", "Koala", "Puma", "Tortuga", "Colibrí", "Pingüino", "Camaleón",
           "Jaguar", "Marmota", "Ballena", "Águila", "Mapache", "Salamandra", "Cóndor", "Bisonte", "Pulpo",
           "Ciervo", "Gaviota")
ADJECTIVES = ("veloz", "sereno", "curioso", "audaz", "paciente", "astuto", "tenaz", "alegre", "sabio", "atento",
              "valiente", "tranquilo", "ingenioso", "constante", "brillante", "discreto", "intrépido", "metódico",
              "creativo", "prudente", "incansable", "certero", "ágil", "despierto", "sagaz", "firme", "sonriente",
              "observador", "resuelto", "inquieto", "diligente", "optimista")


def order_of(metric: str | None, full: float | None = None, zero: float | None = None) -> str:
    """Gradescope's ``order``: ``"desc"`` when a higher value is better, ``"asc"`` otherwise.

    The check's thresholds decide (``full > zero``: higher is better); without them, the metric's
    name (errors and losses are minimised)."""
    if full is not None and zero is not None and full != zero:
        return "desc" if full > zero else "asc"
    return "asc" if (metric or "").lower() in LOWER_IS_BETTER else "desc"


def entry_name(check: str, metric: str | None) -> str:
    return f"{check} ({metric})" if metric else check


def leaderboard_entries(results: Mapping[str, Any], thresholds: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Gradescope's ``leaderboard`` for one results JSON: ``{"name", "value", "order"}`` per threshold
    check the grader measured (a check with no value, such as a missing model, has no entry).

    ``thresholds``: the assignment's checks (:class:`autograder.thresholds.Check` or its dict), for
    the direction of each metric; without them it follows from the metric's name."""
    bounds = {}
    for check in thresholds:
        get = check.get if isinstance(check, Mapping) else lambda key, c=check: getattr(c, key, None)
        bounds[get("name")] = (get("full"), get("zero"))
    entries = []
    for check in results.get("checks") or []:
        value = check.get("value")
        if check.get("kind") != "threshold" or not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        full, zero = bounds.get(check.get("name"), (None, None))
        entries.append({"name": entry_name(check["name"], check.get("metric")), "value": round(float(value), 6),
                        "order": order_of(check.get("metric"), full, zero)})
    return entries


def ranking(results: Iterable[Mapping[str, Any]], thresholds: Iterable[Any] = ()) -> dict[str, list[dict[str, Any]]]:
    """Per leaderboard entry name, the students ranked best first: ``{"student", "value", "rank", "order"}``.

    Equal values share a rank (1, 2, 2, 4); ties are listed by student id."""
    thresholds = list(thresholds)
    boards: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        for entry in result.get("leaderboard") or leaderboard_entries(result, thresholds):
            boards.setdefault(entry["name"], []).append({"student": result["student"], "value": entry["value"],
                                                         "order": entry.get("order", "desc")})
    for rows in boards.values():
        descending = rows[0]["order"] == "desc"
        rows.sort(key=lambda r: (-r["value"] if descending else r["value"], r["student"]))
        for i, row in enumerate(rows):
            row["rank"] = rows[i - 1]["rank"] if i and row["value"] == rows[i - 1]["value"] else i + 1
    return boards


def course_secret(course_root: str | Path) -> bytes:
    """The course's secret for pseudonyms (``COURSE/.autograder-secret``, owner-only, made on first use)."""
    path = Path(course_root) / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another process
        return bytes.fromhex(path.read_text().strip())
    secret = secrets.token_bytes(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret.hex() + "\n")
    return secret


def pseudonym(student: str, secret: bytes) -> str:
    """A stable alias such as ``"Nutria veloz 042"`` (about 10⁶ of them), from an HMAC of the id."""
    digest = hmac.new(secret, student.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[2:4], "big") % 1000
    return f"{ANIMALS[digest[0] % len(ANIMALS)]} {ADJECTIVES[digest[1] % len(ADJECTIVES)]} {number:03d}"


def aliases(students: Iterable[str], secret: bytes | None) -> dict[str, str]:
    """``{student: alias}``: pseudonyms (``secret`` given), else the ids. Two students with the same
    pseudonym each get a few hexadecimal digits of their HMAC added, so no alias is shared."""
    students = sorted(set(students))
    if secret is None:
        return {s: s for s in students}
    names = {s: pseudonym(s, secret) for s in students}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    for student, name in names.items():
        if counts[name] > 1:
            names[student] = f"{name}-{hmac.new(secret, student.encode(), hashlib.sha256).hexdigest()[8:14]}"
    return names
