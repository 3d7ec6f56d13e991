"""pytest + nbval over the source notebooks: fast mode, and plots as in Jupyter.

nbval starts one kernel per notebook with this process's environment, so what is set here is
what the notebooks see. This file is not an assignment: nbgrader only reads the folders.
"""

import os
from pathlib import Path

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# CI exports MPLBACKEND=Agg for the library tests; in a kernel it turns every plt.show() into a
# warning. Without it ipykernel picks its inline backend, as in JupyterLab.
if os.environ.get("MPLBACKEND", "").lower() == "agg":
    del os.environ["MPLBACKEND"]


_PYTHONPATH = os.environ.get("PYTHONPATH")


def pytest_runtest_setup(item):
    """Each notebook's kernel imports the kit as the grader's kernels do: without the names its
    assignment forbids (``forbid`` in thresholds.toml), so a test or a demonstration that needs
    one fails here, not in a student's grade. Runs before nbval starts the notebook's kernel."""
    from autograder.sandbox import restricted_kit
    from autograder.thresholds import load_forbid

    path = Path(str(item.fspath))
    forbid = load_forbid(path.parents[2], path.parent.name) if path.suffix == ".ipynb" else []
    paths = [str(restricted_kit(forbid, path.parent.name))] if forbid else []
    paths += [_PYTHONPATH] if _PYTHONPATH else []
    if paths:
        os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        os.environ.pop("PYTHONPATH", None)
