"""A copy of the kit without the names an assignment forbids.

An instructor lists, per assignment, the kit's functions, classes or modules that would answer
a graded exercise (``forbid`` in ``thresholds.toml``). The grader's kernels then import a copy
of ``course`` in which those names hold no code at all: a forbidden function's body is a
``raise NotAllowedInGrading(...)``, a forbidden class is a function that raises, and a forbidden
module raises when imported. Whatever name a student gives it (``elu = scratch.elu``,
``get_activation("elu")``), calling it fails with a Spanish message, and the test cell that
needed it scores zero. The original package is hidden from the sandbox, so there is nothing
left to reload or read: the boundary is the copy, not a list of forbidden calls.

Names are resolved from the source with :mod:`ast`, never by importing the kit: a re-export
(``course.scratch.elu``, from ``from .activations import elu``) is followed to the module that
defines it.
"""

from __future__ import annotations

import ast
import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

ERROR_NAME = "NotAllowedInGrading"
HELPER_MODULE = "_not_allowed"  # written into the copy: the exception and its message

HELPER_SOURCE = f'''"""Written by the grader: names of the kit this assignment asks students to write themselves."""


class {ERROR_NAME}(RuntimeError):
    """A kit name that a graded exercise of this assignment forbids."""


def not_allowed(name: str, assignment: str) -> {ERROR_NAME}:
    return {ERROR_NAME}(
        f"{{name}} no está disponible al calificar {{assignment}}: el ejercicio pide que lo programes tú "
        "(el corrector no permite usar esa parte del kit en esta tarea)")
'''


@dataclass(frozen=True)
class Target:
    """Where a forbidden name is defined: a module file, and a name in it (``None``: the module)."""

    name: str  # as the instructor wrote it
    file: Path  # relative to the package's folder (``scratch/activations.py``)
    qualname: str | None  # ``elu``, ``Perceptron`` or ``Perceptron.fit``; None: the whole module


def _module_file(package: Path, module: str) -> Path | None:
    """``x/y.py`` or ``x/y/__init__.py`` (relative to the package's folder) of ``course.x.y``."""
    base = package.joinpath(*module.split(".")[1:])
    for candidate in (base.with_suffix(".py") if base != package else None, base / "__init__.py"):
        if candidate is not None and candidate.is_file():
            return candidate.relative_to(package)
    return None


def _defines(tree: ast.Module, qualname: str) -> bool:
    body: list[ast.stmt] = tree.body
    for part in qualname.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == part), None)
        if node is None:
            return False
        body = node.body
    return True


def _imported_from(tree: ast.Module, module: str, is_package: bool, name: str) -> str | None:
    """The module a top-level ``from X import name`` takes ``name`` from (``None``: not imported)."""
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(a.name == name and a.asname in (None, name) for a in node.names):
            if node.level == 0:
                return node.module
            parts = module.split(".")
            base = parts if is_package else parts[:-1]
            base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
            return ".".join(base + ([node.module] if node.module else []))
    return None


def resolve(package: Path, name: str) -> Target:
    """Where ``name`` (``course.solutions``, ``course.scratch.elu``) is defined in the package
    whose folder is ``package`` (its name may differ: a copy being made).

    Raises ``ValueError`` for a name that is not in the package: a typo in the instructor's list
    must not silently forbid nothing."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module, rest = ".".join(parts[:cut]), parts[cut:]
        file = _module_file(package, module)
        if file is None:
            continue
        if not rest:
            return Target(name, file, None)
        for _ in range(10):  # follow re-exports, a few levels at most
            tree = ast.parse((package / file).read_text())
            qualname = ".".join(rest)
            if _defines(tree, qualname):
                return Target(name, file, qualname)
            source = _imported_from(tree, module, file.name == "__init__.py", rest[0])
            if source is None:
                break
            nested = _module_file(package, source)
            if nested is None:  # ``from .activations import elu`` where ``elu`` is a module: a module
                nested = _module_file(package, f"{source}.{rest[0]}")
                if nested is not None and len(rest) == 1:
                    return Target(name, nested, None)
                break
            module, file = source, nested
        break
    raise ValueError(f"forbid: {name!r} is not a module, function or class of the kit")


def _raise_stmt(name: str, assignment: str) -> ast.stmt:
    package = name.split(".")[0]
    return ast.parse(f"raise __import__({f'{package}.{HELPER_MODULE}'!r}, fromlist=['_'])"
                     f".not_allowed({name!r}, {assignment!r})").body[0]


def _docstring(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[ast.stmt]:
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return [first]
    return []


def _stub(node: ast.stmt, name: str, assignment: str) -> ast.stmt:
    """The same name, with no code: a function that raises."""
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    body = [*_docstring(node), _raise_stmt(name, assignment)]
    if isinstance(node, ast.ClassDef):  # a class becomes a function: no method survives to be called
        stub = ast.parse(f"def {node.name}(*args, **kwargs):\n    pass").body[0]
        assert isinstance(stub, ast.FunctionDef)
        stub.body = body
        return ast.copy_location(stub, node)
    node.body = body
    node.decorator_list = [d for d in node.decorator_list if isinstance(d, ast.Name) and d.id == "staticmethod"]
    return node


def _replace(body: list[ast.stmt], path: list[str], name: str, assignment: str) -> None:
    for index, node in enumerate(body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == path[0]:
            if len(path) == 1:
                body[index] = _stub(node, name, assignment)
            else:
                _replace(node.body, path[1:], name, assignment)
            return


def apply(package: Path, forbid: list[str], assignment: str) -> list[Target]:
    """Rewrite the copy of a package at ``package`` (a folder named like the package) in place."""
    root = package
    targets = [resolve(package, name) for name in forbid]
    (package / f"{HELPER_MODULE}.py").write_text(HELPER_SOURCE)
    by_file: dict[Path, list[Target]] = {}
    for target in targets:
        by_file.setdefault(target.file, []).append(target)
    for file, found in by_file.items():
        whole = next((t for t in found if t.qualname is None), None)
        if whole is not None:
            if file.name == "__init__.py":  # a package: nothing of it is left
                for child in (root / file).parent.iterdir():
                    if child.name != "__init__.py":
                        shutil.rmtree(child) if child.is_dir() else child.unlink()
            stmt = ast.unparse(_raise_stmt(whole.name, assignment))
            (root / file).write_text(f'"""Not available while grading {assignment}."""\n\n{stmt}\n')
            continue
        tree = ast.parse((root / file).read_text())
        for target in found:
            assert target.qualname is not None
            _replace(tree.body, target.qualname.split("."), target.name, assignment)
        (root / file).write_text(ast.unparse(ast.fix_missing_locations(tree)) + "\n")
    return targets


def check_names(forbid: list[str], package: str = "course") -> None:
    """Raise ``ValueError`` when a name is not in the installed package (a typo in the course's list)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"forbid: the package {package!r} is not installed")
    folder = Path(list(spec.submodule_search_locations)[0])
    for name in forbid:
        if name.split(".")[0] != package:
            raise ValueError(f"forbid: {name!r} is not a name of the kit ({package}.*)")
        resolve(folder, name)
