"""Outcome claims: what a notebook's prose says a run shows, checked where the run happens.

A demonstration cell ends with ``claim(name, values, held, says=...)``: the measured numbers and
whether the sentence of the prose that reads them holds. In full mode (no ``COURSE_FAST``) with
``COURSE_CLAIMS_STRICT=1`` (``benchmarks/notebooks_full.py`` sets it) a claim that does not hold
raises :class:`ClaimFailed`, so the notebook stops at the cell whose prose has become untrue.
Without it (a student's own full run, on hardware and versions the figures were not measured on)
it prints a Spanish warning instead and the notebook goes on. In fast mode (small data, CI) claims
are only recorded: most are not expected to hold on a few thousand images; ``full_only=False``
checks one in both modes, and a checked claim that fails in fast mode always raises (CI).

When ``COURSE_CLAIMS_FILE`` is set, every claim is appended to that file as one JSON line
(``benchmarks/notebooks_full.py`` reads it).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config import fast_mode

ENV_CLAIMS_FILE = "COURSE_CLAIMS_FILE"
ENV_STRICT = "COURSE_CLAIMS_STRICT"


class ClaimFailed(AssertionError):
    """A claim of the prose that the run did not bear out (full mode, or ``full_only=False``)."""


def _plain(value: Any) -> Any:
    """A JSON-friendly copy: NumPy scalars and arrays as Python numbers and lists, NaN as None."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy scalars and arrays
        return _plain(value.tolist())
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def claim(name: str, values: Mapping[str, Any], held: Any, *, says: str = "", full_only: bool = True) -> bool:
    """Record the claim ``name`` with its measured ``values``; raise if it did not hold where it must.

    ``held`` is the condition the prose states, evaluated on ``values`` by the caller (anything
    with a truth value: a NumPy bool is fine). ``says`` is the prose's sentence, in Spanish, for
    the message. Returns whether it held.
    """
    ok = bool(held)
    fast = fast_mode()
    checked = not (fast and full_only)
    record = {"name": name, "values": _plain(dict(values)), "held": ok, "checked": checked, "fast": fast}
    if says:
        record["says"] = says
    path = os.environ.get(ENV_CLAIMS_FILE, "").strip()
    if path:
        with Path(path).open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    shown = ", ".join(f"{k} = {_show(v)}" for k, v in record["values"].items())
    if ok:
        print(f"Comprobación «{name}»: se cumple ({shown})")
    elif not checked:
        print(f"Comprobación «{name}»: no se cumple en modo rápido, con pocos datos; el texto habla de los datos "
              f"completos ({shown})")
    elif not (fast or os.environ.get(ENV_STRICT, "").strip() == "1"):
        print(f"AVISO: el texto del cuaderno dice que «{says or name}», pero esta ejecución no lo confirma "
              f"({shown}). Puede deberse a tu equipo o a las versiones de las bibliotecas; lee los números de tu "
              "ejecución con eso en mente y coméntaselo a tu profesor.")
    else:
        raise ClaimFailed(
            f"El texto del cuaderno afirma algo que esta ejecución no confirma / the notebook's prose claims "
            f"something this run does not bear out: «{name}»"
            + (f" ({says})" if says else "") + f"; medido / measured: {shown}")
    return ok


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def read_claims(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The claims recorded in a ``COURSE_CLAIMS_FILE`` (an empty list if there is no such file)."""
    p = Path(path)
    if not p.is_file():
        return []
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
