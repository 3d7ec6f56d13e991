"""Scores of grade cells, nbgrader's rules less its stderr pitfall, and the Spanish messages.

nbgrader gives a grade cell zero points as soon as it writes anything to stderr, and
TensorFlow and PyTorch write log lines and warnings there. Here stderr text made only of such
log lines is dropped before scoring; anything else on stderr (a printed traceback, a message)
still counts as a failure, and an exception always does.
"""

from __future__ import annotations

import re
from nbformat import NotebookNode
from nbgrader import utils

_LOG_LINE = re.compile(
    r"""^(?:
        .*:\d+:\s*\w*Warning:.*                             # warnings.warn: file.py:12: UserWarning: ...
      | \w*Warning:\s.*                                     # UserWarning: ...
      | (?:WARNING|INFO|DEBUG)(?::|\s).*                    # logging's default format, absl
      | WARNING:\s*All\ log\ messages\ before\ absl.*       # absl before InitializeLog
      | [IWEF]\d{4}\s+\d\d:\d\d:\d\d.*                      # glog / absl C++ lines (TF, XLA)
      | \d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[.,\d]*:?\s+[IWE]\s.*  # TF's C++ lines with a date
      | \[W\s?\d.*\]\s.*                                    # PyTorch C++ warnings: [W 123 ...]
      | .*\d+%\|.*\|.*                                      # tqdm progress bars
      | \s+\S.*                                             # continuation: the source line of a warning
    )$""",
    re.VERBOSE,
)


def is_log_text(text: str) -> bool:
    """True when every non-blank line of ``text`` is a log line, a warning or a progress bar."""
    lines = [line for line in re.split(r"[\r\n]+", text) if line.strip()]
    if not lines or lines[0][0].isspace():  # a continuation needs a log line before it
        return False
    return all(_LOG_LINE.match(line) for line in lines)


def drop_log_stderr(cell: NotebookNode) -> int:
    """Remove the stderr outputs of a code cell that are only log lines; return how many."""
    if cell.cell_type != "code":
        return 0
    kept = [out for out in cell.get("outputs", [])
            if not (out.get("output_type") == "stream" and out.get("name") == "stderr" and is_log_text(out.get("text", "")))]
    dropped = len(cell.get("outputs", [])) - len(kept)
    cell.outputs = kept
    return dropped


def guard_partial_credit(cell: NotebookNode) -> int:
    """Make nbgrader's rule safe from the student's own outputs; returns how many outputs went.

    nbgrader scores a test cell by its *first* error or numeric result, so code of the student's
    that prints a result (``sys.displayhook(10)``) before a failing assertion would earn the points.
    Here a failing cell keeps no numeric result, and a passing one keeps only its last (the cell's
    own value, shown after everything it called)."""
    if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
        return 0
    outputs = cell.get("outputs", [])
    failed = any(o.get("output_type") == "error" or (o.get("output_type") == "stream" and o.get("name") == "stderr")
                 for o in outputs)
    results = [i for i, o in enumerate(outputs) if o.get("output_type") == "execute_result"]
    drop = set(results if failed else results[:-1])
    cell.outputs = [o for i, o in enumerate(outputs) if i not in drop]
    return len(drop)


def cell_score(cell: NotebookNode) -> tuple[float | None, float]:
    """``(score, max)`` by nbgrader's own rules (``None``: needs a manual grade)."""
    return utils.determine_grade(cell)


def threshold_points(value: float, full: float, zero: float, points: float) -> float:
    """Linear partial credit: all ``points`` at ``full``, none at ``zero``.

    Works both ways: ``full > zero`` for a metric to maximise (accuracy), ``full < zero`` for
    one to minimise (an error).
    """
    if full == zero:
        raise ValueError("full and zero must differ")
    fraction = (value - zero) / (full - zero)
    return round(points * min(1.0, max(0.0, fraction)), 4)


HINTS = {
    "NotImplementedError": "Aún no has completado esta parte: sustituye `raise NotImplementedError()` por tu solución.",
    "AssertionError": "Tu resultado no coincide con el esperado: prueba tu código con ejemplos pequeños "
                      "y compáralo con las pruebas visibles.",
    "NameError": "Falta una definición: comprueba que defines la función o variable con ese nombre "
                 "y que ejecutas la libreta en orden.",
    "TypeError": "Revisa los tipos de tus entradas y salidas (¿devuelves lo que se pide?).",
    "ValueError": "Revisa las formas (shape) y los valores de tus arreglos.",
    "IndexError": "Revisa los índices y las formas (shape) de tus arreglos.",
    "KeyError": "Revisa las claves de tus diccionarios.",
    "ModuleNotFoundError": "Usa solo las bibliotecas instaladas en el curso.",
    "ImportError": "Usa solo las bibliotecas instaladas en el curso.",
    "CellTimeoutError": "La celda superó el tiempo límite: busca un bucle infinito o reduce datos y épocas.",
    "NotRun": "Esta celda no llegó a ejecutarse (la libreta se detuvo antes).",
    "NotAllowedInGrading": "Este ejercicio se califica con tu propio código: escribe la función tú, sin llamar "
                           "a la del kit (ni con otro nombre).",
}
DEFAULT_HINT = ("Lee el error en el informe y, antes de entregar, reinicia el kernel y ejecuta la "
                "libreta completa (Kernel → Restart Kernel and Run All Cells).")

STATUS_MESSAGES = {
    "ok": "La libreta se ejecutó completa.",
    "timeout": "La libreta superó el tiempo máximo ({detail}) y se detuvo: solo cuentan las celdas que "
               "terminaron. Busca bucles infinitos o reduce el entrenamiento.",
    "memory": "La libreta superó el límite de memoria ({detail}) y se detuvo: solo cuentan las celdas que "
              "terminaron. Usa menos datos a la vez (lotes más pequeños) o modelos más pequeños.",
    "disk": "La libreta escribió más archivos de los permitidos ({detail} en su carpeta) y se detuvo: solo "
            "cuentan las celdas que terminaron. No guardes datos ni modelos intermedios de más.",
    "tampered": "La libreta se ejecutó completa, pero {detail}. Las pruebas y las instrucciones son de solo "
                "lectura: el profesorado revisará la entrega.",
    "crashed": "El kernel de Python se detuvo de golpe (una señal, os._exit o una biblioteca que falló): "
               "solo cuentan las celdas que terminaron antes.",
    "oversize": "La entrega supera los límites del corrector ({detail}) y no se calificó. Entrega solo las "
                "libretas y los archivos que pide el enunciado, sin datos ni salidas enormes.",
    "invalid": "No se pudo leer la entrega: {detail}. Entrega el archivo .ipynb que guarda Jupyter, "
               "sin editarlo a mano.",
    "error": "Error interno del corrector ({detail}); avisa al profesorado.",
}


def error_of(cell: NotebookNode) -> tuple[str, str] | None:
    """``(ename, evalue)`` of the first failure in a code cell's outputs, if any."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", "Error"), str(out.get("evalue", ""))
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            last = [line for line in out.get("text", "").splitlines() if line.strip()]
            return "stderr", (last[-1] if last else "")
    return None


def cell_message(cell: NotebookNode, score: float | None, max_score: float) -> str:
    """What a student reads about one grade cell, in Spanish."""
    if cell.cell_type != "code" or utils.is_solution(cell):
        if score is None:
            return "Respuesta abierta: pendiente de corrección manual."
        if "checksum" in cell.metadata.get("nbgrader", {}) and cell.metadata.nbgrader["checksum"] == utils.compute_checksum(cell):
            return "Sin respuesta."
    if score is not None and score >= max_score:
        return "Correcto."
    failure = error_of(cell) if cell.cell_type == "code" else None
    if failure is None:
        if score is None:
            return "Pendiente de corrección manual."
        return f"Crédito parcial: {score:g} de {max_score:g}."
    ename, evalue = failure
    evalue = evalue.strip()
    if len(evalue) > 300:
        evalue = evalue[:297] + "..."
    what = "Escribió en stderr" if ename == "stderr" else ename
    detail = f"{what}: {evalue}" if evalue else what
    return f"Falló ({detail}). {HINTS.get(ename, DEFAULT_HINT)}"


def status_message(status: str, detail: str = "") -> str:
    """What a student reads about the whole submission, in Spanish."""
    return STATUS_MESSAGES.get(status, STATUS_MESSAGES["error"]).format(detail=detail or "sin detalles")
