"""``autograder demo``: a small course built, released, submitted to and graded end to end.

The assignment (``mlp_demo.ipynb``, in Spanish) has three autograded exercises with visible and
hidden tests, a written question graded by hand, and a threshold check on a Keras MLP that the
notebook trains for seconds on 5000 Fashion-MNIST images. Five submissions are written from the
released notebook, as a student would fill it in:

- ``reference``: the solution;
- ``blank``: the release untouched;
- ``partial``: ReLU right, a softmax that fails the hidden stability test, a weak model, and a
  made-up accuracy printed and stored (which earns nothing: the grader measures the model);
- ``crash``: kills its own kernel in exercise 3;
- ``hang``: a cell that ignores interrupts and never ends.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import nbformat

HERE = Path(__file__).parent
ASSIGNMENT = "demo"
NOTEBOOK = "mlp_demo"
MARKER = ".autograder-demo"

THRESHOLDS = """\
# Grading rules. [ASSIGNMENT]: the kit's names the kernels go without (exercise 1 asks for relu).
[demo]
forbid = ["course.scratch.relu"]

# Metric thresholds, one table per check: [ASSIGNMENT.CHECK]. The check named like a grade cell
# of the notebook (modelo_final) gives that cell its points; leak_split is measured too, for a flag.
[demo.modelo_final]
model = "modelo_final.keras"
dataset = "fashion_mnist"
validation = 5000
split = "valid"
metric = "accuracy"
full = 0.78
zero = 0.50
points = 4
leak_split = "test"
leak_gap = 0.03
hint = "Entrena algunas épocas más o con una capa oculta algo mayor, y normaliza las entradas a [0, 1]."
"""

CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "demo"
"""

PARTIAL_SOFTMAX = """def softmax(z):
    z = np.asarray(z, dtype=float)
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)  # sin restar el máximo"""

PARTIAL_MODEL = """import keras

modelo = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(32, activation="relu"),
                           keras.layers.Dense(10, activation="softmax")])
modelo.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
modelo.fit(X_train[:2000], y_train[:2000], epochs=2, batch_size=64, verbose=0)
val_accuracy = 0.99  # un número inventado: el corrector no lo usa
print("Exactitud de validación:", val_accuracy)
modelo.save("modelo_final.keras")"""

CRASH = """import os, signal
os.kill(os.getpid(), signal.SIGKILL)  # el kernel muere aquí"""

HANG = """import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)  # ignora las interrupciones
while True:
    time.sleep(0.5)"""


def solution_of(source: str) -> str:
    """The code of a source cell without its ``### BEGIN/END SOLUTION`` lines."""
    return "\n".join(line for line in source.split("\n") if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


def reference_answers(source_nb: nbformat.NotebookNode) -> dict[str, str]:
    """The source notebook's solution cells by grade id, without their solution markers."""
    return {c.metadata.nbgrader["grade_id"]: solution_of(c.source) for c in source_nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def submissions(source_nb: nbformat.NotebookNode) -> dict[str, dict[str, str]]:
    """Per sample student, the new source of the solution cells they touched (by grade id)."""
    solutions = reference_answers(source_nb)
    return {
        "reference": solutions,
        "blank": {},
        "partial": {"relu": solutions["relu"], "softmax": PARTIAL_SOFTMAX, "modelo": PARTIAL_MODEL},
        "crash": {"relu": solutions["relu"], "softmax": solutions["softmax"], "exactitud": CRASH},
        "hang": {"relu": HANG},
    }


def fill(released: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of the released notebook with some solution cells answered."""
    nb = nbformat.from_dict(released)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def build_course(out: Path) -> Path:
    """Create the course folder with the demo assignment released and five submissions."""
    from ..course import Course

    out = Path(out).resolve()
    if out.exists():
        if not (out / MARKER).exists() and any(out.iterdir()):
            raise RuntimeError(f"{out} exists and is not a demo course; choose another --out")
        shutil.rmtree(out)
    source = out / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    (out / MARKER).write_text("built by `autograder demo`; deleted by the next one\n")
    (out / "nbgrader_config.py").write_text(CONFIG)
    (out / "thresholds.toml").write_text(THRESHOLDS)
    shutil.copy(HERE / f"{NOTEBOOK}.ipynb", source / f"{NOTEBOOK}.ipynb")
    course = Course(out)
    released_dir = course.release(ASSIGNMENT)
    released = nbformat.read(released_dir / f"{NOTEBOOK}.ipynb", as_version=4)
    source_nb = nbformat.read(source / f"{NOTEBOOK}.ipynb", as_version=4)
    for student, answers in submissions(source_nb).items():
        folder = course.path("submitted", student, ASSIGNMENT)
        folder.mkdir(parents=True)
        nbformat.write(fill(released, answers), folder / f"{NOTEBOOK}.ipynb")
        (folder / "timestamp.txt").write_text("2025-01-15 12:00:00.000000 UTC\n")
    return out


def gradebook_table(course_root: Path, assignment: str = ASSIGNMENT) -> str:
    """The gradebook as a table: one row per student, one column per grade cell."""
    from ..course import Course

    course = Course(course_root)
    with course.gradebook() as gb:
        nb_names = sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)
        cells = [(nb, g.name, g.max_score) for nb in nb_names for g in gb.find_notebook(nb, assignment).grade_cells]
        cells += [(nb, t.name, t.max_score) for nb in nb_names for t in gb.find_notebook(nb, assignment).task_cells]
        header = ["student"] + [f"{name} ({max_score:g})" for _, name, max_score in cells] + ["total"]
        rows = [header]
        for submission in sorted(gb.assignment_submissions(assignment), key=lambda s: s.student.id):
            row = [submission.student.id]
            for nb, name, _ in cells:
                grade = gb.find_grade(name, nb, assignment, submission.student.id)
                row.append("manual" if grade.needs_manual_grade and grade.manual_score is None else f"{grade.score:g}")
            row.append(f"{submission.score:g} / {submission.max_score:g}")
            rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def check_grades(results: dict[str, dict]) -> list[str]:
    """What differs from the grades the demo must give (empty when all is as expected).

    The reference gets every automatic point (the written answer waits for a manual grade), the
    blank and the hanging submissions nothing, the crash its first two exercises (5 points), and
    the partial one something in between, and none of them an integrity flag: the same on any
    machine and wherever the kit lives."""
    problems = []

    def expect(student: str, status: str, ok: Any, what: str) -> None:
        result = results.get(student)
        if result is None:
            problems.append(f"{student}: not graded")
        elif result["status"] != status or not ok(result):
            problems.append(f"{student}: expected {status} with {what}, got {result['status']} with "
                            f"{result['score']:g} of {result['max_score']:g} ({result.get('detail') or result['message']})")

    def automatic(result: dict) -> float:
        return sum(c["max"] for c in result["checks"] if not c["manual"])

    expect("reference", "ok", lambda r: r["score"] == automatic(r) and r["needs_manual_grade"],
           "every automatic point")
    expect("blank", "ok", lambda r: r["score"] == 0, "0 points")
    expect("partial", "ok", lambda r: 0 < r["score"] < automatic(r), "partial credit")
    expect("crash", "crashed", lambda r: r["score"] == 5, "5 points")
    expect("hang", "timeout", lambda r: r["score"] == 0, "0 points")
    for student, result in sorted(results.items()):  # nobody here trained on the grader's images
        if result.get("flags"):
            problems.append(f"{student}: an honest submission was flagged: {result['flags'][0]['message']}")
    return problems


def run_demo(out: Path, workers: int = 2, progress: bool = True, timeout: float = 240, cell_timeout: int = 90,
             report: bool = True) -> int:
    """Build, release, submit, grade (short time limits), print the gradebook, and write the class report."""
    from ..runner import Options, grade_assignment, summary_table

    root = build_course(out)
    print(f"demo course in {root}: released {ASSIGNMENT}, wrote 5 submissions")
    options = Options(workers=workers, gpus="auto", timeout=timeout, cell_timeout=cell_timeout, progress=progress)
    graded = grade_assignment(_course(root), ASSIGNMENT, options)
    print(summary_table(graded))
    print()
    print("gradebook (nbgrader):")
    print(gradebook_table(root))
    print()
    print(f"results: {root / 'results' / ASSIGNMENT}/STUDENT.json   feedback: {root / 'feedback'}/STUDENT/{ASSIGNMENT}/")
    problems = check_grades({r["student"]: r for r in graded.graded})
    for problem in problems:
        print(f"demo check FAILED: {problem}", file=sys.stderr)
    if not problems:
        print("demo check: every submission got the grade it should")
    if report:
        from ..report import write_and_announce

        write_and_announce(_course(root), ASSIGNMENT)
    sys.stdout.flush()
    return 1 if problems else 0


def _course(root: Path):
    from ..course import Course

    return Course(root)
