import nbformat
from nbformat.v4 import new_output
from traitlets.config import Config

from autograder.preprocessors import GuardPartialCredit, IgnoreLogStderr


def outputs(nb, grade_id):
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return [(o.output_type, o.get("name")) for o in cell.outputs]


def test_log_lines_leave_the_stderr_of_grade_cells_only(graded_notebook, resources, make_cell):
    graded_notebook.cells.append(make_cell("print('x', file=sys.stderr)", outputs=[
        new_output("stream", name="stderr", text="WARNING: not a grade cell\n")]))
    nb, resources = IgnoreLogStderr()(graded_notebook, resources)
    assert outputs(nb, "test_log") == []
    assert [o.name for o in nb.cells[-1].outputs] == ["stderr"]  # not a grade cell: nbgrader's rules
    assert resources["autograder"]["dropped_stderr"] == 1


def test_the_courses_ignore_pattern_applies_too(graded_notebook, resources, make_cell):
    graded_notebook.cells.append(make_cell("x", outputs=[new_output("stream", name="stderr", text="ruido: 1\n")]))
    config = Config()
    config.IgnorePattern.pattern = r"^ruido"
    nb, _ = IgnoreLogStderr(config=config)(nbformat.from_dict(graded_notebook), resources)
    assert nb.cells[-1].outputs == []
    off = Config()
    off.IgnoreLogStderr.log_lines = False
    nb, _ = IgnoreLogStderr(config=off)(nbformat.from_dict(graded_notebook), resources)
    assert outputs(nb, "test_log") == [("stream", "stderr")]


def test_a_failing_test_keeps_no_numeric_result(graded_notebook, resources):
    nb, _ = GuardPartialCredit()(graded_notebook, resources)
    assert outputs(nb, "test_fake") == [("error", None)]
    assert outputs(nb, "test_log") == [("stream", "stderr")]  # a passing cell is left as it is
