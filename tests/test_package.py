import subprocess
import sys


def test_import_course_loads_no_framework():
    code = ("import sys, course, course.datasets, course.config, course.interface, course.tuning, course.plots\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_attributes():
    import course

    assert callable(course.load_fashion_mnist) and course.datasets.__name__ == "course.datasets"
