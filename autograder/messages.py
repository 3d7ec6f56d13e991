"""Every message a student (or the feedback page) reads, in Spanish, in one place.

Code, identifiers and the grader's own logs stay in English; what reaches a student is built
from the texts and templates here (``str.format`` fields in braces).
"""

from __future__ import annotations

MiB = 2**20

# -- the submission's status --------------------------------------------------------------------
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
NO_DETAIL = "sin detalles"


def status_message(status: str, detail: str = "") -> str:
    """What a student reads about the whole submission."""
    return STATUS_MESSAGES.get(status, STATUS_MESSAGES["error"]).format(detail=detail or NO_DETAIL)


# Details of a status (the ``{detail}`` above).
TIMEOUT_TOTAL = "{seconds:g} s en total"
TIMEOUT_CELL = "{seconds} s en una celda que no respondió a la interrupción"
MEMORY_LIMIT = "{limit_gib:.1f} GiB"
GPU_MEMORY_LIMIT = "{limit_gib:.1f} GiB de memoria de GPU"  # the cap of a submission sharing a GPU
GPU_MEMORY_FULL = "la memoria de la GPU"  # a GPU of its own, full
# A note: out of GPU memory while sharing the GPU, so graded again with the GPU to itself (runner).
GRADED_ALONE = ("Al corregirla junto a otras entregas en la misma GPU se quedó sin memoria de GPU; como eso puede "
                "deberse a las otras, se ha corregido de nuevo con la GPU para ella sola, y esta es la nota de esa "
                "segunda corrección.")
DISK_LIMIT = "{disk_mib:g} MiB o {files} archivos"
MISSING_NOTEBOOK = "falta la libreta {name}.ipynb{hint}"
RENAMED_HINT = " (se encontró {others}: ¿la renombraste?)"
NOTEBOOK_TOO_BIG = "{name}.ipynb pesa {size_mib:.1f} MiB (máximo {limit_mib:g} MiB)"
TOO_MANY_CELLS = "{name}.ipynb tiene {cells} celdas (máximo {limit})"
NOT_A_NOTEBOOK = "{name}.ipynb no es una libreta válida ({error})"
BROKEN_METADATA = "{name}.ipynb tiene metadatos de nbgrader dañados ({error})"
TAMPERED = ("{name}.ipynb: celdas de solo lectura alteradas: {cells}; se restauraron las originales "
            "para calificar")
CELL_DELETED = "{cell} (borrada)"
CELL_EDITED = "{cell} (modificada)"
CELL_N = "celda {n}"
KERNEL_NEVER_RAN = "el kernel no llegó a ejecutar ninguna celda"
WORKER_NO_RESULT = "el proceso del corrector terminó sin resultado"
TOO_MANY_ENTRIES = "más de {limit} archivos y carpetas"
TOO_MANY_BYTES = "más de {limit_mib:g} MiB"

# -- notes in the feedback ------------------------------------------------------------------------
SYMLINKS_IGNORED = "Se ignoraron los enlaces simbólicos de la entrega: {names}."
NOT_PLAIN_DROPPED = "Se descartaron de la carpeta de trabajo entradas que no son archivos normales: {shown}."
AND_MORE = " y {count} más"
UNREADABLE_FOLDER = "{folder}/ (ilegible)"
ENTRY_KINDS = {"symlink": "enlace simbólico", "hardlink": "enlace duro", "special": "archivo especial"}
TOO_MANY_FILES_LEFT = ("La carpeta de trabajo acabó con demasiados archivos: solo se conservan las libretas "
                       "y los modelos que se califican.")
OUTPUT_TRUNCATED = "{name}.ipynb: la salida superó {limit_mib:g} MiB y se truncó."
OUTPUT_TRUNCATED_IN_CELL = "\n[salida truncada: la libreta superó {limit_mib:g} MiB de salida]\n"
HIDDEN_ERRORS = "{name}.ipynb: {count} celda(s) fallaron sin mostrar el error; cuentan como fallidas."
NOT_RUN = "la libreta se detuvo antes de esta celda"

# -- grade cells ----------------------------------------------------------------------------------
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
OPEN_ANSWER_PENDING = "Respuesta abierta: pendiente de corrección manual."
TASK_PENDING = "Tarea abierta: pendiente de corrección manual."
NO_ANSWER = "Sin respuesta."
CORRECT = "Correcto."
PENDING = "Pendiente de corrección manual."
PARTIAL = "Crédito parcial: {score:g} de {max:g}."
WROTE_STDERR = "Escribió en stderr"
FAILED = "Falló ({detail}). {hint}"
MANUALLY_GRADED = "Corregida a mano: {score:g} de {max:g}."
PENDING_LIST = " Pendiente de corrección manual: {names}."

# -- threshold checks -----------------------------------------------------------------------------
MODEL_ESCAPES = "la ruta del modelo {rel!r} sale de la carpeta de la entrega"
FILE_NOT_FOUND = "no se encontró el archivo {rel}"
FILE_UNREADABLE = "no se pudo leer {rel} ({error})"
FILE_IS_LINK = "{rel} es (o pasa por) un enlace simbólico: guarda el modelo como un archivo normal"
FILE_NOT_REGULAR = "{rel} no es un archivo normal"
FILE_HARD_LINKED = "{rel} tiene otros nombres (enlaces duros): guarda el modelo como un archivo normal"
FILE_TOO_BIG = "{rel} pesa {size_mib:.1f} MiB (máximo {limit_mib:g} MiB)"
FILE_CHANGED = "{rel} cambió mientras se leía"
EVALUATION_TIMEOUT = "la evaluación del modelo superó {seconds:g} s"
EVALUATION_MEMORY = "cargar o evaluar el modelo superó el límite de memoria ({limit_gib:.1f} GiB)"
EVALUATION_FAILED = "no se pudo evaluar el modelo ({error})"
NO_VALID_PREDICTIONS = "el evaluador terminó sin predicciones válidas (código {code}, {error})"
NO_PREDICTIONS = "el evaluador no dio predicciones"
BAD_PREDICTION_SHAPE = "el modelo dio predicciones de forma {shape} para {n} ejemplos"
TOO_MANY_OUTPUTS = "el modelo dio {outputs} salidas por ejemplo"
NOT_FINITE = "el modelo dio predicciones no finitas (NaN o infinito)"
METRIC_NOT_FINITE = "la métrica no es un número finito"
THRESHOLD_NO_POINTS = "Sin puntos: {error}. Guarda tu modelo final en {model}."
THRESHOLD_VERDICTS = {"full": "Puntos completos", "partial": "Crédito parcial", "none": "Sin puntos"}
THRESHOLD_SCORED = "{verdict}: {metric} = {value:.4f} calculada por el corrector con tu {model} ({describe})."
THRESHOLD_HINT = ("Prueba con más épocas, regularización o una arquitectura algo mayor, y vigila la curva "
                  "de validación.")
THRESHOLD_DESCRIBE = ("{metric} en {split} de {dataset}: todos los puntos con {better} {full:g}, ninguno con "
                      "{worse} {zero:g}")
LEAK = ("{metric} en {split} ({value:.4f}) supera a la de {leak_split} ({leak_value:.4f}) en {gap:.3f}, más que "
        "la tolerancia de {leak_gap:g}: ¿se entrenó el modelo con imágenes de {split}? El profesorado revisará "
        "la entrega; la nota no cambia por este aviso.")

# -- required files (autograder.checks.required_file) --------------------------------------------
REQUIRED_FILE_OK = "Correcto: la libreta generó {path} ({size} bytes)."
REQUIRED_FILE_MISSING = "Sin puntos: la libreta no generó el archivo {path}. {hint}"
REQUIRED_FILE_NOT_PLAIN = "Sin puntos: {path} no es un archivo normal (¿un enlace o una carpeta?)."
REQUIRED_FILE_TOO_SMALL = "Sin puntos: {path} tiene {size} bytes (mínimo {min_bytes})."
REQUIRED_FILE_HINT = "Ejecuta la libreta completa y guarda el archivo con ese nombre en la carpeta de la tarea."

# -- the Ray backend ------------------------------------------------------------------------------
RAY_TASK_FAILED = "el corrector falló en Ray ({error})"
RAY_WORKER_DIED = "el proceso del corrector murió (Ray: {error})"
RAY_BUNDLE_TOO_BIG = ("la carpeta de la entrega ocupa {size_mb:.0f} MB al terminar, más que los {limit_mb:.0f} MB "
                      "que el corrector en Ray puede devolver")
RAY_BUNDLE_UNREADABLE = "no se pudo leer lo que devolvió el corrector en Ray"

# -- the feedback page ----------------------------------------------------------------------------
HIDDEN_TESTS_NOTE = "# (pruebas ocultas)"
SUMMARY_TITLE = "## Resumen de la corrección automática: {score:g} de {max:g} puntos"
SUMMARY_STATUS = "**Estado:** {message}"
SUMMARY_LATE = "**Penalización por entrega tardía:** {penalty:g} puntos."
SUMMARY_TABLE_HEAD = ["| apartado | puntos | comentario |", "| --- | --- | --- |"]
SUMMARY_PENDING = "pendiente"
SUMMARY_PASSED = "**Superado:** {names}."
SUMMARY_FAILED = "**Por mejorar:** {names}."
SUMMARY_NOTHING_YET = "nada todavía"
SUMMARY_NOTHING = "nada"
SUMMARY_ADVICE = ("Lee el comentario de cada apartado: indica qué falló y qué probar. Las pruebas ocultas no se "
                  "muestran, pero comprueban lo mismo que las visibles con otros datos.")
SUMMARY_NOT_ALLOWED = ("**Partes del kit que esta tarea no permite usar** (las celdas que las llamaron "
                       "fallaron):")
SUMMARY_FLAGS = "**Avisos para el profesorado** (no cambian la nota):"
