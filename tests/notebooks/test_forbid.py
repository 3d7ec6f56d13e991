"""The course's own notebooks, graded with the names their assignments forbid (thresholds.toml).

A student who answers an exercise with the kit's reference function, under another name, gets
nothing for the tests that needed it, with the kit's message; every other cell scores as the
reference solution's does. Graded in a copy of this course, with the sandbox where it runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.demo import fill, reference_answers

from ..autograder.conftest import autograder, child_env, results_of

ROOT = Path(__file__).resolve().parents[2]

# Per assignment, the solution cells (by grade id) a student answers with the kit's own code.
KIT_ANSWERS = {
    "01_perceptron": {"heaviside": "from course.scratch import step as heaviside"},
    "04_activations": {
        "elu": "from course.scratch import elu, d_elu",
        "gelu": "import course.scratch as kit\n\ngelu = kit.get_activation('gelu')[0]\nd_gelu = kit.get_activation('gelu')[1]",
    },
    "11_backprop": {
        "backward": (
            "from course.scratch import MLP\n\n\n"
            "def backward(cache, y):\n"
            "    params = cache['params']\n"
            "    red = MLP([params[0].shape[0]] + [W.shape[1] for W in params[::2]], activation='tanh')\n"
            "    red.params = [p.copy() for p in params]\n"
            "    return red.gradients(cache['A'][0], np.asarray(y).reshape(-1, 1))"),
        "paso_entrenamiento": (
            "from course.scratch import MLP\n\n\n"
            "def paso_entrenamiento(params, X, y, lr):\n"
            "    red = MLP([params[0].shape[0]] + [W.shape[1] for W in params[::2]], activation='tanh')\n"
            "    red.params = [p.copy() for p in params]\n"
            "    red.fit(X, np.asarray(y).reshape(-1, 1), lr=lr, epochs=1)\n"
            "    for p, nuevo in zip(params, red.params):\n"
            "        p[...] = nuevo\n"
            "    return red.loss_history_[-1]"),
    },
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, session_cache):
    root = tmp_path_factory.mktemp("course-forbid") / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)  # its root is the folder it is in
    shutil.copy(ROOT / "thresholds.toml", root)
    env = child_env(session_cache)
    results = {}
    for assignment, kit in KIT_ANSWERS.items():
        shutil.copytree(ROOT / "source" / assignment, root / "source" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.keras", "*.pt", "figures"))
        done = autograder("release", assignment, "--course-dir", str(root), env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        [source] = sorted((root / "source" / assignment).glob("*.ipynb"))
        source_nb = nbformat.read(source, as_version=4)
        released = nbformat.read(root / "release" / assignment / source.name, as_version=4)
        answers = reference_answers(source_nb)
        for student, chosen in (("reference", answers), ("kit", {**answers, **kit})):
            folder = root / "submitted" / student / assignment
            folder.mkdir(parents=True)
            nbformat.write(fill(released, chosen), folder / source.name)
        done = autograder("grade", assignment, "--course-dir", str(root), "--workers", "2", "--no-progress",
                          "--cell-timeout", "300", "--timeout", "900", env=env, timeout=1200)
        assert done.returncode == 0, done.stdout + done.stderr
        results[assignment] = results_of(root, assignment)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(KIT_ANSWERS))
def test_a_kit_answer_scores_nothing_where_it_is_needed_and_the_rest_as_usual(graded, assignment):
    reference, kit = graded[assignment]["reference"], graded[assignment]["kit"]
    assert reference["status"] == "ok" and not reference["not_allowed"], reference["message"]
    ref_points = {c["name"]: c["points"] for c in reference["checks"]}
    assert all(c["points"] == c["max"] for c in reference["checks"] if not c["manual"]), reference["checks"]
    blocked = {u["cell"] for u in kit["not_allowed"]}
    assert blocked, kit["checks"]
    for check in kit["checks"]:
        if check["name"] in blocked:
            assert check["points"] == 0 and "no está disponible al calificar" in check["message"], check
        elif not check["manual"]:
            assert check["points"] == ref_points[check["name"]], check


@pytest.mark.slow
def test_each_forbidden_exercise_is_blocked(graded):
    blocked = {u["cell"] for u in graded["04_activations"]["kit"]["not_allowed"]}
    assert {"prueba_elu", "prueba_d_elu", "prueba_gelu", "prueba_d_gelu"} <= blocked
    assert "prueba_heaviside" in {u["cell"] for u in graded["01_perceptron"]["kit"]["not_allowed"]}
    blocked = {u["cell"] for u in graded["11_backprop"]["kit"]["not_allowed"]}
    assert {"prueba_backward", "prueba_backward_profunda", "prueba_paso_entrenamiento"} <= blocked
