"""Time and memory limits on a tiny course built here: the batch goes on, each gets its status."""

import subprocess
import sys

import nbformat
import pytest

from autograder.course import Course

from .conftest import answer_and_tests, child_env, gradebook_rows, results_of

pytestmark = pytest.mark.slow

ANSWERS = {
    "ok": "x = 1\nopen('salida.txt', 'w').write('hecho')",  # the file a required_file check asks for
    "sleeper": "import time\ntime.sleep(300)\nx = 1",  # interruptible, but the whole-notebook clock runs out
    "hog": "big = b'x' * (900 * 2**20)\nimport time\ntime.sleep(30)\nx = 1",
    "broken": None,
}


@pytest.fixture(scope="module")
def limits_course(tmp_path_factory, session_cache):
    root = tmp_path_factory.mktemp("limits")
    (root / "source" / "lim").mkdir(parents=True)
    nbformat.write(answer_and_tests(test_x="assert x == 1"), root / "source" / "lim" / "lim.ipynb")
    (root / "thresholds.toml").write_text('[lim.salida]\nkind = "required_file"\npath = "salida.txt"\npoints = 1\n')
    course = Course(root)
    released = nbformat.read(course.release("lim") / "lim.ipynb", as_version=4)
    for student, answer in ANSWERS.items():
        folder = root / "submitted" / student / "lim"
        folder.mkdir(parents=True)
        if answer is None:
            (folder / "lim.ipynb").write_text("{ not json")
            continue
        released.cells[0].source = answer
        nbformat.write(released, folder / "lim.ipynb")
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "lim", "--course-dir", str(root),
                          "--workers", "2", "--timeout", "25", "--cell-timeout", "200", "--memory", "0.5",
                          "--no-progress"], capture_output=True, text=True, env=child_env(session_cache), timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return root


def test_each_limit_gives_its_status_and_the_batch_goes_on(limits_course):
    results = results_of(limits_course, "lim")
    assert {s: r["status"] for s, r in results.items()} == {"ok": "ok", "sleeper": "timeout", "hog": "memory",
                                                            "broken": "invalid"}
    assert results["ok"]["score"] == 2 and results["ok"]["max_score"] == 2
    [made] = [c for c in results["ok"]["checks"] if c["name"] == "salida"]
    assert (made["kind"], made["points"], made["notebook"]) == ("required_file", 1, None)
    assert "no generó el archivo salida.txt" in results["sleeper"]["checks"][-1]["message"]
    assert all(results[s]["score"] == 0 for s in ("sleeper", "hog", "broken"))
    assert "memoria" in results["hog"]["message"] and "tiempo" in results["sleeper"]["message"]
    rows = gradebook_rows(limits_course, "lim", "default_course")
    assert rows[("broken", "lim", "test_x")] == (0, False)
