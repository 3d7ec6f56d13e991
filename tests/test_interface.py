"""course.keras and course.torch promise the same names and signatures.

Every public name (``__all__``) of one must exist in the other with the same parameters (names,
kinds, defaults, in order), except the differences listed, with their reasons, in the one table
``course.interface.EXCEPTIONS``. The table itself is checked: an entry that no longer describes a
real difference fails too, so it cannot rot.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course.interface import EXCEPTIONS, FRAMEWORKS

pytest.importorskip("keras")
pytest.importorskip("torch")

import course.keras as K  # noqa: E402
import course.torch as T  # noqa: E402

MODULES = {"keras": K, "torch": T}
SHARED = sorted(set(K.__all__) & set(T.__all__))
COMPARED = [n for n in SHARED if n not in EXCEPTIONS or EXCEPTIONS[n].compare_signature]


def _params(obj) -> list[tuple[str, str, object]]:
    return [(p.name, p.kind.name, p.default) for p in inspect.signature(obj).parameters.values()]


def _without(params, names):
    return [p for p in params if p[0] not in names]


def test_every_name_is_in_both_or_listed():
    for framework, module in MODULES.items():
        other = T if module is K else K
        missing = sorted(set(module.__all__) - set(other.__all__))
        unlisted = [n for n in missing if getattr(EXCEPTIONS.get(n), "only_in", None) != framework]
        assert not unlisted, f"only in course.{framework}, and not in course.interface.EXCEPTIONS: {unlisted}"


@pytest.mark.parametrize("name", COMPARED)
def test_shared_name_has_the_same_signature(name):
    difference = EXCEPTIONS.get(name)
    keras_params, torch_params = _params(getattr(K, name)), _params(getattr(T, name))
    if difference is not None:
        keras_params = _without(keras_params, difference.extra_for("keras"))
        torch_params = _without(torch_params, difference.extra_for("torch"))
    assert keras_params == torch_params, f"course.keras.{name} and course.torch.{name} differ"


@pytest.mark.parametrize("name", sorted(EXCEPTIONS))
def test_every_listed_difference_is_real(name):
    difference = EXCEPTIONS[name]
    assert difference.why.strip()
    present = [f for f in FRAMEWORKS if name in MODULES[f].__all__]
    if difference.only_in is not None:
        assert present == [difference.only_in], f"{name} is listed as only in {difference.only_in}, is in {present}"
        return
    assert present == list(FRAMEWORKS), f"{name} is listed as a difference but is not in both"
    for framework, extras in difference.extra:
        params = {p[0] for p in _params(getattr(MODULES[framework], name))}
        other = next(f for f in FRAMEWORKS if f != framework)
        other_params = {p[0] for p in _params(getattr(MODULES[other], name))}
        assert set(extras) <= params - other_params, f"{name}: {extras} are not {framework}-only parameters"
    if difference.compare_signature:
        assert difference.extra, f"{name}: an entry that allows nothing"


def test_the_allowed_extras_are_documented_in_the_functions():
    for name, difference in EXCEPTIONS.items():
        for framework, extras in difference.extra:
            doc = inspect.getdoc(getattr(MODULES[framework], name)) or ""
            for param in extras:
                assert param in doc, f"course.{framework}.{name} does not document its own parameter {param!r}"


# ----------------------------------------------------------------------------- course.plots has no framework code

PLOTS = Path(__file__).resolve().parents[1] / "course" / "plots"
FRAMEWORK_MODULES = {"keras", "tensorflow", "torch", "jax"}


@pytest.mark.parametrize("path", sorted(PLOTS.glob("*.py")), ids=lambda p: p.name)
def test_plots_import_no_framework(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        assert not {n.split(".")[0] for n in names} & FRAMEWORK_MODULES, f"{path.name}:{node.lineno} imports {names}"
    source = path.read_text(encoding="utf-8")
    for framework in FRAMEWORK_MODULES:
        assert f'sys.modules.get("{framework}")' not in source and f'sys.modules["{framework}"]' not in source


def test_plotting_arrays_loads_no_framework():
    code = """
import sys
import matplotlib
matplotlib.use("Agg")
import numpy as np
from course import plots
rng = np.random.default_rng(0)
pairs = [("capa 1", rng.standard_normal((4, 3))), ("capa 2", rng.standard_normal((3, 2)))]
plots.plot_weight_histograms(pairs)
plots.plot_activation_histograms(pairs)
plots.plot_gradient_histograms(pairs, wrt="activations")
X = rng.standard_normal((20, 2))
plots.plot_decision_boundary(lambda P: P[:, 0] > 0, X, (X[:, 0] > 0).astype(int), resolution=20)
plots.plot_confusion_matrix([0, 1, 1], [0, 1, 0])
print(sorted(m for m in ("tensorflow", "keras", "torch") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_both_histories_hold_what_notebooks_read():
    """History's constructor is not compared (fit builds it); what a notebook reads off it is."""
    import keras

    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    keras_history = model.fit(np.zeros((4, 2)), np.ones((4, 1)), epochs=2, verbose=0)
    from course.models import MLPConfig

    X, y = np.zeros((8, 784), dtype=np.float32), np.arange(8) % 10
    torch_history = T.fit(T.build_mlp(MLPConfig(hidden=(4,))), (X, y), epochs=2, progress=False)
    for history, cls in ((keras_history, K.History), (torch_history, T.History)):
        assert isinstance(history, cls)
        assert list(history.epoch) == [0, 1] and len(history.history["loss"]) == 2
        assert history.model is not None and isinstance(history.params, dict)
