"""pytest + nbval over the source notebooks: fast mode, and plots as in Jupyter.

nbval starts one kernel per notebook with this process's environment, so what is set here is
what the notebooks see. This file is not an assignment: nbgrader only reads the folders.
"""

import os

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# CI exports MPLBACKEND=Agg for the library tests; in a kernel it turns every plt.show() into a
# warning. Without it ipykernel picks its inline backend, as in JupyterLab.
if os.environ.get("MPLBACKEND", "").lower() == "agg":
    del os.environ["MPLBACKEND"]
