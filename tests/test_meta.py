"""course.meta: the repository address, the Colab badges and the standard setup cell."""

from __future__ import annotations

import sys
import types
from importlib import metadata

import numpy as np
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from course import meta


def test_colab_badge_opens_the_release_notebook_from_the_repository():
    path = meta.release_path("01_perceptron")
    assert path == "release/01_perceptron/01_perceptron.ipynb"
    url = meta.colab_url(path)
    assert url.startswith("https://colab.research.google.com/github/")
    assert url.endswith(f"/{meta.github_slug()}/blob/{meta.BRANCH}/{path}")
    assert meta.REPOSITORY.endswith(meta.github_slug())
    badge = meta.colab_badge(path)
    assert badge.startswith("[![") and f"]({url})" in badge


def test_install_spec_names_the_extras():
    assert meta.install_spec() == f"{meta.DISTRIBUTION} @ git+{meta.REPOSITORY}@{meta.BRANCH}"
    assert meta.install_spec(["torch", "keras"]).startswith(f"{meta.DISTRIBUTION}[keras,torch] @ ")
    with pytest.raises(ValueError):
        meta.install_spec(["keras; rm -rf"])


def _run_setup(source: str, colab: bool, monkeypatch) -> list[tuple[str, str]]:
    """Execute a setup cell as IPython would; return the line magics it called."""
    calls: list[tuple[str, str]] = []
    shell = types.SimpleNamespace(run_line_magic=lambda name, line: calls.append((name, line)))
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    code = TransformerManager().transform_cell(source)
    exec(compile(code, "<setup>", "exec"), {"get_ipython": lambda: shell})
    return calls


def test_setup_cell_installs_only_in_colab_and_seeds(monkeypatch, capsys):
    source = meta.setup_cell()
    assert _run_setup(source, colab=False, monkeypatch=monkeypatch) == []
    first = np.random.rand()
    assert "numpy" in capsys.readouterr().out  # the version summary
    calls = _run_setup(source, colab=True, monkeypatch=monkeypatch)
    assert calls == [("pip", f'install -q "{meta.install_spec()}"')]
    assert np.random.rand() == first  # the same seed every time


def test_setup_cell_differs_only_by_extras():
    plain, keras = meta.setup_cell(), meta.setup_cell(["keras"])
    assert meta.install_spec(["keras"]) in keras and 'frameworks=["tensorflow"]' in keras
    changed = [a for a, b in zip(plain.splitlines(), keras.splitlines()) if a != b]
    assert len(plain.splitlines()) == len(keras.splitlines()) and len(changed) == 3
    assert all(any(key in line for key in ("%pip", "check_versions(", "set_seed(")) for line in changed)


@pytest.mark.parametrize("colab", [True, False])
def test_setup_cell_explains_a_failed_install(colab, monkeypatch, capsys):
    """No kit to import: Spanish steps for the place the student is in, then one short error."""
    monkeypatch.setitem(sys.modules, "course", None)  # makes ``import course`` raise ImportError
    with pytest.raises(RuntimeError, match="Falta el kit del curso"):
        _run_setup(meta.setup_cell(["keras"]), colab=colab, monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    assert "No se ha podido importar el kit del curso" in out
    if colab:
        assert "La instalación de arriba ha fallado" in out and "Reiniciar sesión" in out
    else:
        assert 'pip install -e ".[all]"' in out and "Restart Kernel" in out


def test_check_versions_reports_installed_versions():
    versions = meta.check_versions(verbose=False)
    assert versions["numpy"] == np.__version__
    assert "python" in versions and "torch" not in versions
    assert "torch" in meta.check_versions(["torch"], verbose=False)


def test_check_versions_rejects_an_old_package(monkeypatch):
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "1.0" if name == "numpy" else real(name))
    with pytest.raises(RuntimeError, match="numpy 1.0"):
        meta.check_versions(verbose=False)
