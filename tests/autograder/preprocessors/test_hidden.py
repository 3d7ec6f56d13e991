from traitlets.config import Config

from autograder.feedback import HideHiddenTests
from autograder.preprocessors import HiddenTests


def test_hidden_tests_are_found_and_removed_as_students_received_them(make_cell):
    cell = make_cell("assert 1\n### BEGIN HIDDEN TESTS\nassert 2\n### END HIDDEN TESTS", grade_id="t", grade=True,
                     locked=True, points=1)
    hidden = HiddenTests()
    assert hidden.holds(cell)
    assert hidden.released(cell).source == "assert 1"
    assert "assert 2" in cell.source  # a copy: the cell itself is left alone
    plain = make_cell("x = 1")
    plain.source = "### BEGIN HIDDEN TESTS\ny\n### END HIDDEN TESTS"
    assert hidden.released(plain).source == ""  # no metadata enforced


def test_feedback_shows_a_note_and_the_error_line_only(make_cell):
    from nbformat.v4 import new_output

    config = Config()
    config.ClearHiddenTests.begin_test_delimeter = "OCULTAS"
    config.ClearHiddenTests.end_test_delimeter = "FIN"
    cell = make_cell("assert f(1)\n# OCULTAS\nassert f(99) == secreto\n# FIN", grade_id="t", grade=True, locked=True,
                     points=1, outputs=[new_output("error", ename="AssertionError", evalue="no",
                                                   traceback=["assert f(99) == secreto", "AssertionError: no"])])
    cell, _ = HideHiddenTests(config=config).preprocess_cell(cell, {}, 0)
    assert cell.source == "assert f(1)\n# (pruebas ocultas)"
    assert cell.outputs[0].traceback == ["AssertionError: no"]
    broken = make_cell("# OCULTAS\nassert secreto", grade_id="u", grade=True, locked=True, points=1)
    assert HideHiddenTests(config=config).preprocess_cell(broken, {}, 0)[0].source == "# (pruebas ocultas)"
