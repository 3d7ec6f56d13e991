"""``autograder similarity``: pairs of submissions compared by winnowing, on a tiny course built here.

Nothing is executed: the notebooks are only written and read.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import nbformat
import pytest

from autograder import similarity
from autograder.cli import main
from autograder.similarity import WINDOW, K, code_tokens, compare, kgram_hashes, winnow

ASSIGNMENT = "hw"

HEADERS = {
    "softmax": ('def softmax(z):\n    """Softmax por filas de z."""\n',
                'def entropia_cruzada(y, p):\n    """Entropía cruzada media de las clases y con probabilidades p."""\n'),
    "precision": ('def precision(y, pred):\n    """Fracción de aciertos."""\n',
                  'def matriz_confusion(y, pred, clases):\n    """Matriz de confusión clases x clases."""\n'),
}

SOURCE = {
    "softmax": ["""    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
""", """    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1.0)
    filas = np.arange(len(y))
    return float(-np.mean(np.log(p[filas, y])))
"""],
    "precision": ["""    y, pred = np.asarray(y), np.asarray(pred)
    return float(np.mean(y == pred))
""", """    m = np.zeros((clases, clases), dtype=int)
    for real, predicha in zip(y, pred):
        m[real, predicha] += 1
    return m
"""],
}

# ana writes the reference solution; beto copies it, renamed and re-commented; carla writes her own.
ANA = {"softmax": """def softmax(z):
    \"\"\"Softmax por filas de z.\"\"\"
    z = np.asarray(z, dtype=float)
    # restamos el máximo para que exp no se desborde
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def entropia_cruzada(y, p):
    \"\"\"Entropía cruzada media de las clases y con probabilidades p.\"\"\"
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1.0)
    filas = np.arange(len(y))
    return float(-np.mean(np.log(p[filas, y])))
""", "precision": """def precision(y, pred):
    \"\"\"Fracción de aciertos.\"\"\"
    y, pred = np.asarray(y), np.asarray(pred)
    return float(np.mean(y == pred))


def matriz_confusion(y, pred, clases):
    \"\"\"Matriz de confusión clases x clases.\"\"\"
    m = np.zeros((clases, clases), dtype=int)
    for real, predicha in zip(y, pred):
        m[real, predicha] += 1
    return m
""", "respuesta": """La resta del máximo no cambia el resultado de la softmax, porque multiplica numerador y denominador
por la misma constante, pero evita que la exponencial se desborde con entradas grandes."""}

BETO = {"softmax": """def softmax(z):
    '''Mi softmax: cada fila suma uno.'''
    entrada = np.asarray(z, dtype = float)   # a float
    # estabilidad numérica
    exponenciales = np.exp(entrada - entrada.max(axis = -1, keepdims = True))
    return exponenciales / exponenciales.sum(axis=-1,
                                             keepdims=True)

def entropia_cruzada(y, p):
    probs = np.clip(np.asarray(p, dtype=float), 1E-12, 1)  # evita log(0)
    indices = np.arange(len(y))
    return float(- np.mean(np.log(probs[indices, y])))
""", "precision": """def precision(y, pred):
    etiquetas, predichas = np.asarray(y), np.asarray(pred)
    return float(np.mean(etiquetas == predichas))  # media de aciertos


def matriz_confusion(y, pred, clases):
    \"\"\"Cuenta cada pareja (real, predicha).\"\"\"
    tabla = np.zeros((clases, clases), dtype=int)
    for verdad, prediccion in zip(y, pred):
        tabla[verdad, prediccion] += 1
    return tabla
""", "respuesta": """La resta del máximo no cambia el resultado de la softmax, porque multiplica numerador y
denominador por la misma constante, pero evita que la exponencial se desborde con entradas grandes!"""}

CARLA = {"softmax": """def softmax(z):
    \"\"\"Softmax por filas de z.\"\"\"
    salida = []
    for fila in np.atleast_2d(z):
        mayor = max(fila)
        exps = [math.exp(v - mayor) for v in fila]
        total = sum(exps)
        salida.append([v / total for v in exps])
    return np.array(salida).reshape(np.shape(z))


def entropia_cruzada(y, p):
    \"\"\"Entropía cruzada media de las clases y con probabilidades p.\"\"\"
    perdida = 0.0
    for i, clase in enumerate(y):
        perdida -= math.log(max(p[i][clase], 1e-12))
    return perdida / len(y)
""", "precision": """def precision(y, pred):
    \"\"\"Fracción de aciertos.\"\"\"
    aciertos = sum(1 for a, b in zip(y, pred) if a == b)
    return aciertos / len(y)


def matriz_confusion(y, pred, clases):
    \"\"\"Matriz de confusión clases x clases.\"\"\"
    filas = [[0] * clases for _ in range(clases)]
    for k in range(len(y)):
        filas[y[k]][pred[k]] = filas[y[k]][pred[k]] + 1
    return np.array(filas)
""", "respuesta": """Con números grandes exp da infinito; si quito el mayor de cada fila los exponentes son
negativos o cero y el cociente queda igual, ya que el factor común se cancela."""}

# gabi copies ana's first exercise, with a string that must never reach the report as markup
GABI = {"softmax": ANA["softmax"].replace("# restamos", "s = \"<script>alert('hola')</script>\"  # restamos"),
        "precision": CARLA["precision"].replace("aciertos", "buenas"), "respuesta": "No lo sé."}


def _cell(kind: str, source: str, **nbgrader) -> nbformat.NotebookNode:
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, "locked": False, "task": False, **nbgrader}
    return cell


def notebook(version: str, answers: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """``source`` (solutions between markers), ``release`` (stubs) or a student's (``answers``)."""
    cells = [_cell("markdown", "# Tarea\n\nEscribe la softmax y sus amigas."),
             _cell("code", "import math\n\nimport numpy as np")]
    for grade_id, (first, second) in HEADERS.items():
        if version == "source":
            text = "".join(f"{head}    ### BEGIN SOLUTION\n{body}    ### END SOLUTION\n"
                           for head, body in zip((first, second), SOURCE[grade_id], strict=True))
        elif version == "release":
            text = "".join(f"{head}    # ESCRIBE AQUÍ TU CÓDIGO\n    raise NotImplementedError()\n\n\n"
                           for head in (first, second))
        else:
            text = (answers or {})[grade_id]
        cells.append(_cell("code", text, solution=True, grade=False, grade_id=grade_id))
        cells.append(_cell("code", f"assert {grade_id} is not None\n### BEGIN HIDDEN TESTS\nassert True\n"
                                   "### END HIDDEN TESTS", grade=True, grade_id=f"prueba_{grade_id}", points=1,
                           solution=False, locked=True))
    cells.append(_cell("markdown", "Explica por qué se resta el máximo en la softmax."))
    answer = {"source": ANA["respuesta"], "release": "ESCRIBE AQUÍ TU RESPUESTA"}.get(version)
    cells.append(_cell("markdown", answer if answer is not None else (answers or {})["respuesta"], solution=True,
                       grade=True, grade_id="respuesta", points=2))
    return nbformat.v4.new_notebook(cells=cells)


def build_course(root: Path) -> Path:
    for folder, nb in (("source", notebook("source")), ("release", notebook("release"))):
        (root / folder / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(nb, root / folder / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    students = {"ana": notebook("student", ANA), "beto": notebook("student", BETO),
                "carla": notebook("student", CARLA), "gabi": notebook("student", GABI),
                "dani": notebook("release"), "eva": notebook("release")}
    for student, nb in students.items():
        (root / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(nb, root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    broken = root / "submitted" / "fede" / ASSIGNMENT
    broken.mkdir(parents=True)
    (broken / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [ this is not json')
    return root


def run_compare(root: Path, release: bool = True) -> similarity.Report:
    submitted = {p.name: p / ASSIGNMENT for p in sorted((root / "submitted").iterdir())}
    return compare(ASSIGNMENT, root / "source" / ASSIGNMENT, root / "release" / ASSIGNMENT if release else None,
                   submitted)


def pair(report: similarity.Report, a: str, b: str) -> similarity.Pair:
    return next(p for p in report.pairs if {p.a, p.b} == {a, b})


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return build_course(tmp_path / "course")


@pytest.fixture
def report(course: Path) -> similarity.Report:
    return run_compare(course)


def test_renamed_recommented_copy_is_the_top_pair(report):
    top = report.pairs[0]
    assert {top.a, top.b} == {"ana", "beto"}
    assert top.score > 0.8 and min(top.containment_a, top.containment_b) > 0.8
    assert top.notebooks == [ASSIGNMENT]
    # every exercise of the copy is marked, and the written answer too
    assert set(top.lines_a) == {(ASSIGNMENT, "softmax"), (ASSIGNMENT, "precision"), (ASSIGNMENT, "respuesta")}


def test_independent_solutions_score_low(report):
    assert pair(report, "ana", "carla").score < 0.15
    assert pair(report, "beto", "carla").score < 0.15
    partial = pair(report, "ana", "gabi")  # one exercise of two copied
    assert 0.2 < partial.score < pair(report, "ana", "beto").score
    assert partial.lines_a.keys() == {(ASSIGNMENT, "softmax")}


def test_release_stubs_score_zero(report):
    for student in ("dani", "eva"):
        assert report.submissions[student].fingerprints == set()
    stubs = pair(report, "dani", "eva")
    assert stubs.score == 0 and stubs.shared == 0 and stubs.matched_tokens_a == 0
    assert all(p.score == 0 for p in report.pairs if "dani" in (p.a, p.b))


def test_without_release_the_source_cut_is_the_template(course):
    report = run_compare(course, release=False)
    assert pair(report, "dani", "eva").score == 0
    assert {report.pairs[0].a, report.pairs[0].b} == {"ana", "beto"}


def test_malformed_notebook_is_skipped_with_a_message(report):
    assert "fede" not in report.submissions
    assert any(line.startswith("fede/hw.ipynb: not a valid notebook") for line in report.skipped)
    assert report.pairs_compared == 15  # six readable submissions


def test_unreadable_and_hostile_notebooks_never_crash(course, monkeypatch):
    folder = course / "submitted"
    (folder / "hugo" / ASSIGNMENT).mkdir(parents=True)
    os.symlink(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", folder / "hugo" / ASSIGNMENT / "hw.ipynb")
    (folder / "ines" / ASSIGNMENT).mkdir(parents=True)  # no notebook at all
    odd = notebook("student", ANA)
    odd.cells[2].metadata["nbgrader"]["grade_id"] = ["not", "a", "string"]
    odd.cells[3].source = 12345
    (folder / "juan" / ASSIGNMENT).mkdir(parents=True)
    (folder / "juan" / ASSIGNMENT / "hw.ipynb").write_text(json.dumps(odd))
    (folder / "karl" / ASSIGNMENT).mkdir(parents=True)
    (folder / "karl" / ASSIGNMENT / "hw.ipynb").write_text('{"nbformat": 4, "cells": {"a": 1}}')
    report = run_compare(course)
    messages = "\n".join(report.skipped)
    assert "hugo/hw.ipynb: a symbolic link" in messages
    assert "ines/hw.ipynb: missing" in messages
    assert "karl/hw.ipynb: not a valid notebook" in messages
    assert "juan" in report.submissions and (ASSIGNMENT, "softmax") not in report.submissions["juan"].cells
    big = notebook("student", BETO)
    big.cells.append(_cell("markdown", "relleno " * 5000))
    (folder / "luis" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(big, folder / "luis" / ASSIGNMENT / "hw.ipynb")
    monkeypatch.setattr(similarity, "MAX_NOTEBOOK_BYTES", 20_000)
    report = run_compare(course)
    assert "luis/hw.ipynb: 0.0 MiB, over the 0.0190735 MiB limit" in report.skipped
    assert "luis" not in report.submissions and "beto" in report.submissions


def test_names_comments_docstrings_and_layout_do_not_change_tokens():
    one = 'def f(x):\n    """Doc."""\n    y = x + 1  # uno\n    return np.sum(y * 2.0, axis=0)\n'
    two = "def g(a):\n    # otro comentario\n    b = a + \\\n        1\n    return np.sum(b*2, axis = 0)\n"
    assert [t for t, _ in code_tokens(one)] == [t for t, _ in code_tokens(two)]
    assert [t for t, _ in code_tokens("np.sum(x)")] != [t for t, _ in code_tokens("np.mean(x)")]
    assert [t for t, _ in code_tokens("s = 'hola'")] == [t for t, _ in code_tokens('s = "adiós" "mundo"')]
    assert len(code_tokens("x = 1\n" * 50_000, limit=500)) == 500
    # IPython magics and broken code still give tokens, with their lines
    assert ("V", 3) in code_tokens("%pip install x\n!ls\nresultado = (1,\n")


def test_winnowing_finds_every_run_of_k_plus_window_minus_one_tokens():
    shared = code_tokens("\n".join(f"v{i} = np.dot(w, x) + b" for i in range(4)))[:K + WINDOW - 1]
    assert len(shared) == K + WINDOW - 1
    before, after = code_tokens("z = len(q) ** 3\n"), code_tokens("for i in range(3): pass\n")
    one = winnow(kgram_hashes(before + shared))
    two = winnow(kgram_hashes(shared + after))
    assert set(one) & set(two)


def test_html_is_self_contained_and_escapes_student_strings(course, report, tmp_path):
    page = similarity.write_html(report, tmp_path / "r.html").read_text()
    assert "<script" not in page and "&lt;script&gt;alert(&#x27;hola&#x27;)&lt;/script&gt;" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert page.index("ana</td><td>beto") < page.index("ana</td><td>gabi")
    assert 'class="m"' in page and "fede/hw.ipynb: not a valid notebook" in page


def test_csv_parses_back(report, tmp_path):
    path = similarity.write_csv(report, tmp_path / "r.csv")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == report.pairs_compared and list(rows[0]) == similarity.CSV_FIELDS
    assert {rows[0]["student_a"], rows[0]["student_b"]} == {"ana", "beto"}
    assert float(rows[0]["score"]) == pytest.approx(report.pairs[0].score, abs=1e-4)
    assert int(rows[0]["matched_lines_a"]) > 5 and rows[0]["notebooks"] == ASSIGNMENT
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows), reverse=True)


def test_cli_end_to_end(course, capsys):
    assert main(["similarity", ASSIGNMENT, "--course-dir", str(course)]) == 0
    out, err = capsys.readouterr()
    assert "skipped fede/hw.ipynb: not a valid notebook" in err
    lines = out.splitlines()
    assert lines[0].startswith("hw: 6 submissions, 15 pairs compared")
    assert lines[2].split()[1:3] == ["ana", "beto"]
    reports = course / "reports" / ASSIGNMENT
    assert lines[-2] == f"report: {reports / 'similarity.html'}" and lines[-1] == f"csv:    {reports / 'similarity.csv'}"
    assert (reports / "similarity.html").stat().st_size > 0
    assert main(["similarity", ASSIGNMENT, "--course-dir", str(course), "--out", str(course / "elsewhere"),
                 "--code-only", "--top", "1"]) == 0
    page = (course / "elsewhere" / "similarity.html").read_text()
    assert page.count("<section") == 1 and "respuesta" not in page
    assert main(["similarity", "nope", "--course-dir", str(course)]) == 2
    assert "no source folder" in capsys.readouterr().err


def test_a_huge_cell_is_read_only_up_to_the_caps(course):
    huge = dict(ANA, softmax=ANA["softmax"] + "".join(f"v{i} = np.dot(w{i}, x) + b\n" for i in range(20_000)))
    for student in ("olga", "pepe"):  # two copies: every fingerprint of theirs is shared
        (course / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(notebook("student", huge), course / "submitted" / student / ASSIGNMENT / "hw.ipynb")
    report = run_compare(course)
    cell = report.submissions["olga"].cells[(ASSIGNMENT, "softmax")]
    assert len(cell.source) == similarity.MAX_CELL_CHARS and len(cell.tokens) <= similarity.MAX_CELL_TOKENS
    assert {report.pairs[0].a, report.pairs[0].b} == {"olga", "pepe"} and report.pairs[0].score == 1
