import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveCells

from autograder.course import use_environment_tools
from autograder.preprocessors import CheckTampering


def source_notebook(make_cell):
    return nbformat.from_dict(nbformat.v4.new_notebook(cells=[
        make_cell("Lee esto.", kind="markdown", grade_id="intro", locked=True),
        make_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", grade_id="answer", solution=True),
        make_cell("assert x == 1\n### BEGIN HIDDEN TESTS\nassert x > 0\n### END HIDDEN TESTS", grade_id="test_x",
                  grade=True, locked=True, points=1),
        make_cell("assert x", grade_id="test_y", grade=True, locked=True, points=1),
    ]))


def test_edited_and_deleted_read_only_cells_are_named(tmp_path, make_cell):
    use_environment_tools()  # nbgrader runs alembic by name
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(db, "c") as gb:
        gb.add_assignment("a1")
    where = {"notebook": "nb", "assignment": "a1", "db_url": db, "course_id": "c", "student": "ana"}
    SaveCells().preprocess(source_notebook(make_cell), {"nbgrader": where})
    released = source_notebook(make_cell)
    released.cells[1].source = "x = 1"
    released.cells[2].source = "assert x == 1"  # as students received it: no hidden tests
    nb, resources = CheckTampering()(nbformat.from_dict(released), {"nbgrader": where})
    assert resources["autograder"]["tampered"] == []
    assert nb == released  # it changes nothing
    released.cells[0].source = "Otra cosa."
    del released.cells[3]
    _, resources = CheckTampering()(released, {"nbgrader": where})
    assert resources["autograder"]["tampered"] == ["intro (modificada)", "test_y (borrada)"]


def test_a_check_that_fails_in_itself_loses_no_grade(make_cell):
    where = {"notebook": "nb", "assignment": "a1", "db_url": "sqlite:////nonexistent/dir/x.db", "course_id": "c"}
    _, resources = CheckTampering()(source_notebook(make_cell), {"nbgrader": where})
    assert resources["autograder"]["tampered"] == []
