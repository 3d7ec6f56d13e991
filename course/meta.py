"""Where the course lives, and the two cells that open every notebook.

This module is the one place holding the repository address: the "Open in Colab" badges, the
``%pip install`` of the setup cell and the README all derive from :data:`REPOSITORY`.
``scripts/sync_notebooks.py`` stamps :func:`title_cell` and :func:`setup_cell` at the top of each
source notebook; a test checks that every notebook is in sync.
"""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Iterable, Sequence

REPOSITORY = "https://github.com/dl-course-kit/dl-course-kit"
BRANCH = "main"
DISTRIBUTION = "dl-course-kit"
RELEASE_DIR = "release"
MIN_PYTHON = (3, 10)
SEED = 42
COLAB_BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"

# The framework each optional extra brings, so the setup cell seeds what the notebook uses.
EXTRA_FRAMEWORKS = {"keras": "tensorflow", "torch": "torch"}


def github_slug() -> str:
    """``owner/name`` of the repository, e.g. ``dl-course-kit/dl-course-kit``."""
    prefix = "https://github.com/"
    if not REPOSITORY.startswith(prefix):
        raise ValueError(f"REPOSITORY must be a GitHub address, got {REPOSITORY!r}")
    return REPOSITORY[len(prefix):].strip("/")


def release_path(assignment: str, notebook: str | None = None) -> str:
    """Path, from the repository root, of the student version of a notebook.

    >>> release_path("01_perceptron")
    'release/01_perceptron/01_perceptron.ipynb'
    """
    name = notebook or assignment
    if not name.endswith(".ipynb"):
        name += ".ipynb"
    return f"{RELEASE_DIR}/{assignment}/{name}"


def colab_url(path: str) -> str:
    """Colab address that opens ``path`` (relative to the repository root) from GitHub."""
    return f"https://colab.research.google.com/github/{github_slug()}/blob/{BRANCH}/{path.lstrip('/')}"


def colab_badge(path: str) -> str:
    """Markdown for an "Open in Colab" badge pointing at ``path``."""
    return f"[![Abrir en Colab]({COLAB_BADGE_SVG})]({colab_url(path)})"


def _extras(extras: Iterable[str]) -> list[str]:
    chosen = sorted(set(extras))
    for extra in chosen:
        if not extra.isidentifier():
            raise ValueError(f"not an extra name: {extra!r}")
    return chosen


def install_spec(extras: Iterable[str] = ()) -> str:
    """The pip requirement that installs the kit (with ``extras``) straight from the repository."""
    chosen = _extras(extras)
    name = f"{DISTRIBUTION}[{','.join(chosen)}]" if chosen else DISTRIBUTION
    return f"{name} @ git+{REPOSITORY}@{BRANCH}"


def title_cell(title: str, assignment: str, notebook: str | None = None) -> str:
    """Markdown of a notebook's first cell: its title and the badge to its release version."""
    return (
        f"# {title}\n"
        "\n"
        f"{colab_badge(release_path(assignment, notebook))}\n"
        "\n"
        "*Curso de aprendizaje profundo.* Funciona en JupyterLab y en Colab: ejecuta primero la "
        "celda de preparación que sigue."
    )


def _list(names: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{n}"' for n in names) + "]"


def setup_cell(extras: Sequence[str] = ()) -> str:
    """Python source of the setup cell, the same in every notebook but for the ``extras``.

    In Colab it installs the kit from the repository; locally it installs nothing. If the kit
    cannot be imported (a failed install in Colab, no install locally), it prints the steps to
    take, in Spanish, and stops with a short error. Then it checks the versions and sets the seed
    of NumPy (and of the frameworks of ``extras``).
    """
    chosen = _extras(extras)
    frameworks = [EXTRA_FRAMEWORKS[e] for e in chosen if e in EXTRA_FRAMEWORKS]
    seed_args = f"{SEED}, frameworks={_list(frameworks)}" if frameworks else f"{SEED}"
    check_args = _list(chosen) if chosen else ""
    major, minor = MIN_PYTHON
    return (
        "# Preparación (la misma celda en todos los cuadernos): en Colab instala el kit del curso;\n"
        "# en tu ordenador no instala nada (ver el README del repositorio).\n"
        "import sys\n"
        "\n"
        'EN_COLAB = "google.colab" in sys.modules\n'
        "if EN_COLAB:\n"
        f'    %pip install -q "{install_spec(chosen)}"\n'
        "\n"
        f'assert sys.version_info >= ({major}, {minor}), "El curso necesita Python {major}.{minor} o posterior"\n'
        "\n"
        "try:\n"
        "    import course\n"
        "except ImportError:\n"
        '    print("No se ha podido importar el kit del curso (el paquete course).")\n'
        "    if EN_COLAB:\n"
        '        print("La instalación de arriba ha fallado. Qué hacer:\\n"\n'
        '              "  1. Lee el error de pip que aparece encima (¿sin conexión? ¿dirección mal escrita o repositorio privado?).\\n"\n'
        '              "  2. Entorno de ejecución → Reiniciar sesión, y vuelve a ejecutar esta celda.\\n"\n'
        '              "  3. Si sigue fallando, avisa a tu profesor; si te da otra dirección del repositorio,\\n"\n'
        '              "     cámbiala en la línea %pip de esta celda y vuelve a ejecutarla.")\n'
        "    else:\n"
        '        print("En tu ordenador hay que instalarlo una vez: en la carpeta del repositorio,\\n"\n'
        '              "  pip install -e \\".[all]\\"   (o conda env create -f environment.yml)\\n"\n'
        '              "y después reinicia el núcleo (Kernel → Restart Kernel) y vuelve a ejecutar esta celda.")\n'
        '    raise RuntimeError("Falta el kit del curso: sigue los pasos que se acaban de imprimir.") from None\n'
        "\n"
        "from course.meta import check_versions\n"
        "\n"
        f"check_versions({check_args})  # versiones mínimas de numpy, scikit-learn...\n"
        f"SEED = course.set_seed({seed_args})  # resultados reproducibles"
    )


def _requirements(extras: Iterable[str]) -> list:
    """The kit's requirements that apply with ``extras`` (``packaging.Requirement`` objects)."""
    from packaging.requirements import Requirement

    chosen = _extras(extras)
    found = []
    for line in metadata.requires(DISTRIBUTION) or []:
        req = Requirement(line)
        if req.name == DISTRIBUTION:  # "all" refers back to the kit's own extras
            continue
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in chosen):
            found.append(req)
    return found


def check_versions(extras: Iterable[str] = (), verbose: bool = True) -> dict[str, str]:
    """Check Python and the installed packages against the kit's minimum versions.

    The minimums are read from the installed kit's own metadata (``pyproject.toml``), so they
    live in one place. Raises ``RuntimeError`` (in Spanish: students read it) naming every
    missing or too old package; returns ``{package: version}`` and prints it when ``verbose``.
    """
    if sys.version_info < MIN_PYTHON:
        raise RuntimeError(f"El curso necesita Python {'.'.join(map(str, MIN_PYTHON))} o posterior; "
                           f"tienes {sys.version.split()[0]}.")
    versions = {"python": sys.version.split()[0]}
    problems = []
    try:
        requirements = _requirements(extras)
    except metadata.PackageNotFoundError:
        requirements = []
        if verbose:
            print(f"Aviso: el paquete {DISTRIBUTION} no está instalado (pip install -e .); "
                  "no puedo comprobar las versiones.")
    for req in requirements:
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            problems.append(f"falta {req.name} (se necesita {req})")
            continue
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            problems.append(f"{req.name} {installed} es demasiado antiguo (se necesita {req})")
        versions[req.name] = installed
    if problems:
        raise RuntimeError("Tu entorno no sirve para este cuaderno: " + "; ".join(problems) + ". "
                           f'Instala el kit con: pip install "{install_spec(extras)}"')
    if verbose:
        print(" · ".join(f"{name} {version}" for name, version in versions.items()))
    return versions
