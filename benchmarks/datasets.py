"""Prints: `import course` time, and the first (parse + verify) and cached loads of Fashion-MNIST."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def import_seconds(repeats: int = 5) -> float:
    code = "import time; t = time.perf_counter(); import course; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(repeats)]
    return statistics.median(runs)


def load_seconds() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as cache:
        os.environ["COURSE_CACHE_DIR"] = cache  # a cold array cache
        from course.datasets import load_fashion_mnist

        start = time.perf_counter()
        load_fashion_mnist()
        first = time.perf_counter() - start
        start = time.perf_counter()
        load_fashion_mnist()
        return first, time.perf_counter() - start


if __name__ == "__main__":
    first, cached = load_seconds()
    print(json.dumps({"benchmark": "datasets", "import_course_s": round(import_seconds(), 3),
                      "fashion_mnist_first_load_s": round(first, 3),
                      "fashion_mnist_cached_load_s": round(cached, 3)}))
