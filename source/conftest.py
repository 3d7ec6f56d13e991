"""pytest + nbval over the source notebooks: fast mode, and plots as in Jupyter.

nbval starts one kernel per notebook with this process's environment, so what is set here is
what the notebooks see. This file is not an assignment: nbgrader only reads the folders.
"""

import functools
import os
from pathlib import Path

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# CI exports MPLBACKEND=Agg for the library tests; in a kernel it turns every plt.show() into a
# warning. Without it ipykernel picks its inline backend, as in JupyterLab.
if os.environ.get("MPLBACKEND", "").lower() == "agg":
    del os.environ["MPLBACKEND"]


_PYTHONPATH = os.environ.get("PYTHONPATH")


@functools.lru_cache(maxsize=None)
def _kit_for(notebook: str) -> str | None:
    """The restricted kit's folder for a notebook's assignment (None: it forbids nothing); once per notebook."""
    from autograder.sandbox import course_kit

    path = Path(notebook)
    kit = course_kit(path.parents[2], path.parent.name) if path.suffix == ".ipynb" else None
    return str(kit) if kit else None


def pytest_runtest_setup(item):
    """Each notebook's kernel imports the kit as the grader's kernels do: without the names its
    assignment forbids (``forbid`` in thresholds.toml), so a test or a demonstration that needs
    one fails here, not in a student's grade. Runs before nbval starts the notebook's kernel."""
    kit = _kit_for(str(item.fspath))
    paths = [p for p in (kit, _PYTHONPATH) if p]
    if paths:
        os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        os.environ.pop("PYTHONPATH", None)
