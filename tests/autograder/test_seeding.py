import subprocess
import sys

from autograder.seeding import seed_code

CHECK = """
import random, numpy as np, torch
first = (random.random(), float(np.random.rand()), torch.rand(2).tolist())
random.seed(7); np.random.seed(7); torch.manual_seed(7)
again = (random.random(), float(np.random.rand()), torch.rand(2).tolist())
print(first == again, "__autograder_seed" in dir())
"""


def run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_seeds_python_numpy_and_torch_imported_later_and_leaves_no_names():
    assert run(seed_code(7) + CHECK) == "True False"


def test_different_seeds_differ():
    code = "\nimport numpy as np\nprint(np.random.rand())"
    assert run(seed_code(1) + code) != run(seed_code(2) + code)
