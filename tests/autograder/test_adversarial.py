"""Submissions that attack the grader, graded in one batch with the sandbox on.

Each student below answers exercises 1 and 2 right (5 points) and attacks in exercise 3 (or in
the files of the submission). The sandbox must stop the attack, give the right status and
score with a clear message, and leave the rest of the batch, the gradebook, the source and the
other students' files as they were. ``control`` is an honest student graded in the same batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from autograder.sandbox import UID_BASE, UID_COUNT, probe

from .conftest import autograder, child_env, gradebook_rows, results_of

EXACTITUD = "def exactitud(y, probs):\n    return float(np.mean(np.argmax(probs, axis=1) == np.asarray(y)))"
WRONG = "def exactitud(y, probs):\n    return 0.25"
NO_MODEL = "pass  # sin modelo"

ATTACKS = {
    "hang": """import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    time.sleep(0.2)""",
    "memory": """bloques = []
while True:
    bloques.append(b"x" * 50_000_000)""",
    "storm": f"""import os, time
hijos = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
        hijos += 1
except OSError as exc:
    print("no se pueden crear más procesos tras", hijos, exc)
{EXACTITUD}""",
    "killall": """import os, signal
os.kill(-1, signal.SIGKILL)  # como root y sin sandbox, esto mataría la máquina entera""",
    "network": """import socket
try:
    with socket.create_connection(("127.0.0.1", PORT), timeout=3) as s:
        exec(s.recv(4096).decode())  # la solución, servida desde fuera
except OSError as exc:
    print("sin red:", exc)
    def exactitud(y, probs):
        return 0.25""",
    "snoop": """import glob, os, re
encontrado = None
candidatos = [f"{CURSO}/source/demo/mlp_demo.ipynb", f"{CURSO}/gradebook.db",
              *glob.glob(f"{CURSO}/.autograder-tmp/*/gradebook.db"), *glob.glob("/**/mlp_demo.ipynb", recursive=True)]
for ruta in candidatos:
    try:
        texto = open(ruta, "rb").read().decode("utf-8", "replace")
    except OSError:
        continue
    if "BEGIN SOLUTION" in texto:
        encontrado = ruta
        break
print("fuente encontrada:", encontrado)
if encontrado:
    exec("def exactitud(y, probs):\\n    return float(np.mean(np.argmax(probs, axis=1) == np.asarray(y)))")
else:
    def exactitud(y, probs):
        return 0.25""",
    "vandal": """import os
for ruta in [f"{CURSO}/gradebook.db", f"{CURSO}/submitted/control/demo/mlp_demo.ipynb",
             f"{CURSO}/results/demo/control.json", f"{CURSO}/source/demo/mlp_demo.ipynb", "../../control/demo/nota.txt"]:
    try:
        with open(ruta, "w") as fh:
            fh.write("borrado")
        print("escrito", ruta)
    except OSError as exc:
        print("no se pudo escribir", ruta, type(exc).__name__)
def exactitud(y, probs):
    return 0.25""",
    "symlinks": """import os
texto = ""
for ruta in ["pistas.ipynb", "curso/source/demo/mlp_demo.ipynb"]:
    try:
        texto += open(ruta).read()
    except OSError as exc:
        print("no se pudo leer", ruta, type(exc).__name__)
os.symlink(f"{CURSO}/gradebook.db", "fuga.db")  # para que el corrector lo copie
if "BEGIN SOLUTION" in texto:
    exec("def exactitud(y, probs):\\n    return float(np.mean(np.argmax(probs, axis=1) == np.asarray(y)))")
else:
    def exactitud(y, probs):
        return 0.25""",
    "hidden_errors": """from IPython.core.interactiveshell import InteractiveShell
for objeto in (get_ipython(), InteractiveShell, type(get_ipython())):
    objeto.showtraceback = lambda *args, **kwargs: None
    objeto._showtraceback = lambda *args, **kwargs: None
def exactitud(y, probs):
    return 0.25""",
    "always_equal": """class Siempre(float):
    def __eq__(self, otro):
        return True
    def __ne__(self, otro):
        return False
    __hash__ = float.__hash__
def exactitud(y, probs):
    return Siempre(0.25)""",
    "fake_score": """import sys
print("Puntuación: 13/13")
def exactitud(y, probs):
    sys.displayhook(2.0)  # un resultado numérico antes de que falle la prueba
    return 0.25""",
    "huge_output": f"""for _ in range(300):
    print("x" * 100_000)
{EXACTITUD}""",
    "disk": """import os
try:
    with open("grande.bin", "wb") as fh:
        fh.write(b"0" * 30 * 2**20)  # más que --max-file-mb
except OSError as exc:
    print("archivo demasiado grande:", exc)
i = 0
while True:
    with open(f"relleno{i}.bin", "wb") as fh:
        fh.write(b"0" * 5 * 2**20)
    i += 1""",
}

FAKE_EVALUATION = """import json, keras
modelo = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="softmax")])
modelo.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
keras.Model.evaluate = lambda self, *args, **kwargs: [0.01, 0.99]
print("Exactitud de validación:", modelo.evaluate(X_valid, y_valid)[1])
json.dump({"accuracy": 0.99}, open("metricas.json", "w"))
modelo.save("modelo_final.keras")"""

SHIPPED = {  # files of a submission that try to stand in for the grader's
    "thresholds.toml": "[demo.modelo_final]\nmodel = 'modelo_final.keras'\nfull = 0.0\nzero = -1.0\npoints = 4\n",
    "autograder/__init__.py": "",
    "autograder/evaluate.py": "print('{\"value\": 0.99, \"n\": 5000}')\n",
    "course/__init__.py": "raise SystemExit('un paquete course falso')\n",
    "fashion-mnist/t10k-labels-idx1-ubyte.gz": "no son datos",
}


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def _serve_solution() -> tuple[socket.socket, int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)

    def loop() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.sendall(EXACTITUD.encode())

    threading.Thread(target=loop, daemon=True).start()
    return server, server.getsockname()[1]


def _sandbox_processes() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                uid = os.stat(f"/proc/{entry}").st_uid
            except OSError:
                continue
            if UID_BASE <= uid < UID_BASE + UID_COUNT:
                pids.append(int(entry))
    return pids


@pytest.fixture(scope="module")
def attacked(tmp_path_factory, session_cache):
    reason = probe()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the sandbox must run in CI: {reason}")
        pytest.skip(f"no sandbox here: {reason}")
    from autograder.demo import ASSIGNMENT, NOTEBOOK, build_course, fill, submissions

    root = build_course(tmp_path_factory.mktemp("adversarial") / "course")
    for folder in (root / "submitted").iterdir():
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        folder.rmdir()
    released = nbformat.read(root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    source_nb = nbformat.read(root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    right = submissions(source_nb)["reference"]
    base = {"relu": right["relu"], "softmax": right["softmax"], "modelo": NO_MODEL}
    server, port = _serve_solution()
    assert socket.create_connection(("127.0.0.1", port)).recv(100)  # reachable from outside the sandbox

    def submit(student: str, answers: dict[str, str], nb: nbformat.NotebookNode | None = None) -> Path:
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb or fill(released, {**base, **answers}), folder / f"{NOTEBOOK}.ipynb")
        return folder

    submit("control", {"exactitud": EXACTITUD})
    for student, code in ATTACKS.items():
        submit(student, {"exactitud": code.replace("PORT", str(port)).replace("{CURSO}", str(root))})
    links = root / "submitted" / "symlinks" / ASSIGNMENT
    (links / "pistas.ipynb").symlink_to(root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    (links / "curso").symlink_to(root)
    stolen = root / "submitted" / "stolen" / ASSIGNMENT
    stolen.mkdir(parents=True)
    (stolen / f"{NOTEBOOK}.ipynb").symlink_to(root / "submitted" / "control" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    shipped = submit("fake_evaluation", {"exactitud": EXACTITUD, "modelo": FAKE_EVALUATION})
    for name, text in SHIPPED.items():
        (shipped / name).parent.mkdir(parents=True, exist_ok=True)
        (shipped / name).write_text(text)
    submit("malformed", {}, nb=None).joinpath(f"{NOTEBOOK}.ipynb").write_text('{"cells": [ no es json')
    renamed = submit("renamed", {"exactitud": EXACTITUD})
    (renamed / f"{NOTEBOOK}.ipynb").rename(renamed / f"{NOTEBOOK}_final.ipynb")
    tampered = fill(released, {**base, "exactitud": WRONG})
    tampered.cells = [c for c in tampered.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "tests_relu"]
    for cell in tampered.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "tests_exactitud":
            cell.source = "pass  # la prueba «arreglada»"
    submit("tampered", {}, nb=tampered)

    before = {"source": _digest(root / "source"), "control": _digest(root / "submitted" / "control")}
    env = child_env(session_cache)
    done = autograder("grade", ASSIGNMENT, "--course-dir", str(root), "--workers", "2", "--timeout", "90",
                      "--cell-timeout", "40", "--memory", "1.5", "--max-output-mb", "1", "--max-disk-mb", "50",
                      "--max-file-mb", "20", "--max-processes", "256", "--sandbox", "bwrap", "--no-progress",
                      env=env, timeout=900)
    server.close()
    assert done.returncode == 0, done.stdout + done.stderr
    return SimpleNamespace(root=root, out=done, before=before, results=results_of(root, ASSIGNMENT),
                           leftovers=_sandbox_processes(), assignment=ASSIGNMENT, notebook=NOTEBOOK)


def points(result: dict, name: str) -> float | None:
    return next(c["points"] for c in result["checks"] if c["name"] == name)


EXPECTED = {  # student: (status, score out of 11, words the message must hold)
    "control": ("ok", 7, "se ejecutó completa"),
    "hang": ("timeout", 5, "tiempo"),
    "memory": ("memory", 5, "memoria"),
    "storm": ("ok", 7, "se ejecutó completa"),
    "killall": ("ok", 5, "se ejecutó completa"),  # kill(-1) reaches nothing but the sandbox
    "network": ("ok", 5, "se ejecutó completa"),
    "snoop": ("ok", 5, "se ejecutó completa"),
    "vandal": ("ok", 5, "se ejecutó completa"),
    "symlinks": ("ok", 5, "enlaces simbólicos"),
    "stolen": ("invalid", 0, "falta la libreta"),
    "hidden_errors": ("ok", 5, "sin mostrar el error"),
    "always_equal": ("ok", 5, "se ejecutó completa"),
    "fake_score": ("ok", 5, "se ejecutó completa"),
    "huge_output": ("ok", 7, "truncó"),
    "disk": ("disk", 5, "archivos"),
    "fake_evaluation": ("ok", 7, "se ejecutó completa"),
    "malformed": ("invalid", 0, "no es una libreta válida"),
    "renamed": ("invalid", 0, "¿la renombraste?"),
    "tampered": ("tampered", 5, "tests_exactitud (modificada)"),
}


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_attack_gets_its_status_score_and_message(attacked, student):
    status, score, words = EXPECTED[student]
    result = attacked.results[student]
    assert (result["status"], result["score"]) == (status, score), result["message"]
    assert words in result["message"]
    assert result["sandbox"] == "bwrap"


def test_every_submission_is_graded_and_reported(attacked):
    assert sorted(attacked.results) == sorted(EXPECTED)
    assert attacked.out.stdout.count("\n") > len(EXPECTED)  # one row each in the summary
    graded = {student for student, *_ in gradebook_rows(attacked.root, attacked.assignment, "demo")}
    assert graded == set(EXPECTED)


def test_the_gradebook_the_source_and_other_students_files_are_intact(attacked):
    rows = gradebook_rows(attacked.root, attacked.assignment, "demo")
    assert rows[("control", attacked.notebook, "tests_exactitud")] == (2.0, False)
    assert _digest(attacked.root / "source") == attacked.before["source"]
    assert _digest(attacked.root / "submitted" / "control") == attacked.before["control"]
    control = json.loads((attacked.root / "results" / attacked.assignment / "control.json").read_text())
    assert control["score"] == 7


def test_no_sandboxed_process_survives_the_batch(attacked):
    assert attacked.leftovers == []


def test_the_threshold_is_measured_by_the_grader_whatever_the_submission_ships(attacked):
    result = attacked.results["fake_evaluation"]
    assert points(result, "modelo_final") == 0
    value = next(c["value"] for c in result["checks"] if c["name"] == "modelo_final")
    assert value < 0.5  # an untrained model, measured on the grader's own data


def test_tampering_is_reported_and_graded_with_the_original_tests(attacked):
    result = attacked.results["tampered"]
    assert "tests_relu (borrada)" in " ".join(result["tampered"])
    assert points(result, "tests_relu") == 2 and points(result, "tests_exactitud") == 0


def test_student_symlinks_are_neither_followed_nor_copied(attacked):
    result = attacked.results["symlinks"]
    assert "pistas.ipynb" in result["message"] and "curso" in result["message"]
    autograded = attacked.root / "autograded" / "symlinks" / attacked.assignment
    assert autograded.is_dir()
    assert not [p for p in autograded.rglob("*") if p.is_symlink()]


def test_a_huge_output_is_cut_to_the_limit(attacked):
    path = attacked.root / "autograded" / "huge_output" / attacked.assignment / f"{attacked.notebook}.ipynb"
    assert path.stat().st_size < 3 * 2**20
