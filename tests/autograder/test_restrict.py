"""The kit without an assignment's forbidden names: resolved from the source, absent from the copy."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder import restrict
from autograder.sandbox import course_kit, restricted_kit
from autograder.thresholds import load_checks, load_forbid


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A small package ``kit`` shaped like ``course``: re-exports, a class, a submodule."""
    root = tmp_path / "kit"
    (root / "scratch").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "solutions.py").write_text("def answer():\n    return 42\n")
    (root / "scratch" / "__init__.py").write_text("from .acts import Neuron, leaky, relu, table\nfrom . import acts\n")
    (root / "scratch" / "acts.py").write_text(textwrap.dedent('''\
        """Activations."""
        from __future__ import annotations


        def relu(x):
            """max(0, x)."""
            return max(0.0, x)


        def leaky(x):
            return relu(x) if x > 0 else 0.01 * x


        class Neuron:
            def fire(self, x):
                return x > 0

            @staticmethod
            def rule(x):
                return 2 * x


        def table():
            return {"relu": relu}
        '''))
    return root


def run(package: Path, code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=package.parent, capture_output=True,
                          text=True, env={"PYTHONPATH": str(package.parent), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_names_resolve_to_the_module_that_defines_them(package):
    assert restrict.resolve(package, "kit.scratch.relu") == restrict.Target("kit.scratch.relu", Path("scratch/acts.py"), "relu")
    assert restrict.resolve(package, "kit.scratch.acts.Neuron.fire").qualname == "Neuron.fire"
    assert restrict.resolve(package, "kit.solutions") == restrict.Target("kit.solutions", Path("solutions.py"), None)
    assert restrict.resolve(package, "kit.scratch.acts").qualname is None  # a module through a re-export
    for typo in ("kit.scratch.rel", "kit.nothing", "kit.scratch.acts.Neuron.jump"):
        with pytest.raises(ValueError, match="not a module, function or class"):
            restrict.resolve(package, typo)


def test_a_forbidden_name_raises_under_any_name_and_the_rest_works(package):
    restrict.apply(package, ["kit.scratch.relu", "kit.scratch.acts.Neuron.rule", "kit.solutions"], "tarea")
    out = run(package, """
        import importlib
        import kit.scratch as s
        print(s.Neuron().fire(1.0))
        for call in (lambda: s.relu(1.0), lambda: s.table()["relu"](1.0), lambda: s.leaky(1.0),
                     lambda: s.Neuron.rule(1.0), lambda: importlib.reload(s.acts).relu(1.0)):
            try:
                call()
            except RuntimeError as exc:
                print(type(exc).__name__, exc)
        try:
            import kit.solutions
        except RuntimeError as exc:
            print("import:", type(exc).__name__)
        print(s.leaky(-1.0), s.relu.__doc__)
        """)
    lines = out.splitlines()
    assert lines[0] == "True"
    assert sum(line.startswith("NotAllowedInGrading kit.scratch.relu no está disponible al calificar tarea")
               for line in lines) == 4  # as relu, from the table, inside leaky, after a reload
    assert any(line.startswith("NotAllowedInGrading kit.scratch.acts.Neuron.rule") for line in lines)
    assert "import: NotAllowedInGrading" in lines
    assert lines[-1] == "-0.01 max(0, x)."  # code that does not call relu runs; the docstring stays


def test_a_forbidden_class_leaves_no_method_to_call(package):
    restrict.apply(package, ["kit.scratch.Neuron"], "tarea")
    text = (package / "scratch" / "acts.py").read_text()
    assert "return x > 0" not in text and "2 * x" not in text
    assert "NotAllowedInGrading" in run(package, """
        import kit.scratch as s
        try:
            s.Neuron()
        except RuntimeError as exc:
            print(type(exc).__name__)
        """)


def test_the_course_kit_copy_goes_without_the_names_and_is_shared(tmp_path):
    kit = restricted_kit(["course.scratch.relu", "course.solutions"], "demo")
    assert restricted_kit(["course.solutions", "course.scratch.relu"], "demo") == kit  # made once
    assert restricted_kit(["course.scratch.relu"], "demo") != kit
    assert "np.maximum" not in (kit / "course" / "scratch" / "activations.py").read_text().split("def relu")[1][:200]
    out = run(kit / "course", """
        import numpy as np
        import course.scratch as s
        print(s.sigmoid(np.array([0.0]))[0])
        try:
            s.relu(1.0)
        except RuntimeError as exc:
            print(type(exc).__name__)
        """)
    assert out.split() == ["0.5", "NotAllowedInGrading"]


def test_the_course_lists_forbidden_names_beside_its_checks(tmp_path):
    (tmp_path / "thresholds.toml").write_text(textwrap.dedent("""\
        [a1]
        forbid = ["course.solutions", "course.scratch.elu", "course.solutions"]

        [a1.final]
        model = "m.keras"
        full = 0.9
        zero = 0.8
        points = 2
        leak_split = "test"

        [a2]
        forbid = "course.solutions"
        """))
    assert load_forbid(tmp_path, "a1") == ["course.scratch.elu", "course.solutions"]
    assert load_forbid(tmp_path, "other") == []
    [check] = load_checks(tmp_path, "a1")
    assert (check.name, check.leak_split, check.leak_gap) == ("final", "test", 0.03)
    with pytest.raises(ValueError, match="forbid must be a list"):
        load_forbid(tmp_path, "a2")
    restrict.check_names(load_forbid(tmp_path, "a1"))
    with pytest.raises(ValueError, match="not a name of the kit"):
        restrict.check_names(["numpy.maximum"])


def test_the_courses_own_lists_resolve_and_07_cannot_import_the_reference():
    course_root = Path(__file__).resolve().parents[2]
    for table in sorted(p.name for p in (course_root / "source").iterdir() if p.is_dir()):
        restrict.check_names(load_forbid(course_root, table))
    kit = course_kit(course_root, "07_regularization")
    assert kit is not None and course_kit(course_root, "08_gpu") is None  # 08 forbids nothing
    out = run(kit / "course", """
        import course.datasets
        try:
            from course.solutions import train_reference
        except Exception as exc:
            print(type(exc).__name__)
        """)
    assert out.split() == ["NotAllowedInGrading"]
