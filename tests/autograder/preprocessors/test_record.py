from traitlets.config import Config

from autograder.preprocessors import GuardPartialCredit, IgnoreLogStderr, RecordGrades, RecordNotAllowed


def test_each_grade_cell_and_task_becomes_an_item(graded_notebook, resources):
    nb = graded_notebook
    for step in (IgnoreLogStderr, GuardPartialCredit, RecordGrades):  # the record list's order
        nb, resources = step()(nb, resources)
    items = {i.name: i for i in resources["autograder"]["items"]}
    assert list(items) == ["test_log", "test_fake", "test_hidden", "task"]  # the answer is no grade cell
    assert (items["test_log"].kind, items["test_log"].points, items["test_log"].max) == ("tests", 1.0, 1.0)
    assert items["test_fake"].points == 0 and items["test_fake"].message.startswith("Falló (AssertionError")
    assert items["test_hidden"].visibility == "after_published" and items["test_log"].visibility == "visible"
    assert (items["task"].kind, items["task"].points, items["task"].max) == ("task", None, 3.0)
    assert all(i.notebook == "nb" for i in items.values())


def test_hidden_tests_follow_the_courses_delimiters(graded_notebook, resources):
    config = Config()
    config.ClearHiddenTests.begin_test_delimeter = "OCULTAS"
    _, resources = RecordGrades(config=config)(graded_notebook, resources)
    assert all(i.visibility == "visible" for i in resources["autograder"]["items"])


def test_cells_that_called_a_forbidden_kit_name_are_named(graded_notebook, resources):
    _, resources = RecordNotAllowed()(graded_notebook, resources)
    [use] = resources["autograder"]["not_allowed"]
    assert (use.notebook, use.cell, use.message) == ("nb", "celda 5", "course.relu no está")
