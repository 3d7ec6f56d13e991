import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from autograder.preprocessors import IgnoreLogStderr
from autograder.scoring import cell_message, cell_score, is_log_text, threshold_points


def drop_log_stderr(cell) -> int:
    """How many stderr outputs of ``cell`` the grader's IgnorePattern step drops."""
    resources: dict = {}
    IgnoreLogStderr().preprocess_cell(cell, resources, 0)
    return resources["autograder"]["dropped_stderr"]

TF_NOISE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795415858.923196    8128 port.cc:153] oneDNN custom operations are on.\n"
    "E0000 00:00:1795415864.541463    8128 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)\n"
    "2024-05-01 10:00:00.123456: I tensorflow/core/util/port.cc:113] oneDNN custom operations are on.\n"
)
PY_WARNING = ("/usr/lib/python3/site-packages/torch/nn/modules/module.py:1511: UserWarning: Implicit dimension\n"
              "  return self._call_impl(*args, **kwargs)\n")


@pytest.mark.parametrize("text", [TF_NOISE, PY_WARNING, "WARNING:absl:Compiled the loaded model\n",
                                  "INFO:root:starting\n", "100%|██████████| 10/10 [00:00<00:00, 99.1it/s]\n",
                                  "UserWarning: something\n"])
def test_log_lines_are_recognised(text):
    assert is_log_text(text)


@pytest.mark.parametrize("text", ["Traceback (most recent call last):\n  File \"x\", line 1\nValueError: no\n",
                                  "FALLO: la prueba no pasó\n", "ERROR:root:something broke\n", "   indented\n", ""])
def test_anything_else_on_stderr_is_not_a_log(text):
    assert not is_log_text(text)


def grade_cell(outputs, points=2):
    cell = new_code_cell("assert True")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "t", "points": points,
                                 "schema_version": 3}
    cell.outputs = outputs
    return nbformat.from_dict(cell)


def test_warnings_in_a_grade_cell_do_not_zero_it():
    cell = grade_cell([new_output("stream", name="stderr", text=TF_NOISE + PY_WARNING),
                       new_output("stream", name="stdout", text="ok\n")])
    assert cell_score(cell) == (0, 2.0)  # nbgrader's rule alone: stderr means zero
    assert drop_log_stderr(cell) == 1
    assert cell_score(cell) == (2.0, 2.0)
    assert [o["name"] for o in cell.outputs] == ["stdout"]


def test_real_errors_still_score_zero():
    printed = grade_cell([new_output("stream", name="stderr", text="Traceback (most recent call last):\nKeyError: 1\n")])
    assert drop_log_stderr(printed) == 0 and cell_score(printed)[0] == 0
    raised = grade_cell([new_output("stream", name="stderr", text=PY_WARNING),
                         new_output("error", ename="AssertionError", evalue="mal", traceback=[])])
    drop_log_stderr(raised)
    assert cell_score(raised)[0] == 0
    assert "AssertionError: mal" in cell_message(raised, 0, 2)


def test_partial_credit_from_an_execute_result_like_nbgrader():
    cell = grade_cell([new_output("execute_result", data={"text/plain": "1.5"}, execution_count=1)])
    assert cell_score(cell) == (1.5, 2.0)
    assert "1.5 de 2" in cell_message(cell, 1.5, 2.0)


def test_threshold_points_are_linear_between_zero_and_full():
    assert threshold_points(0.95, full=0.90, zero=0.85, points=10) == 10
    assert threshold_points(0.80, full=0.90, zero=0.85, points=10) == 0
    assert threshold_points(0.875, full=0.90, zero=0.85, points=10) == pytest.approx(5)
    # an error to minimise: full below zero
    assert threshold_points(7.0, full=5.0, zero=10.0, points=4) == pytest.approx(2.4)
    with pytest.raises(ValueError):
        threshold_points(1.0, full=0.5, zero=0.5, points=1)
