import subprocess
import sys

import pytest

from course.device import Timing, benchmark, get_device


class FakeGPU:
    """An asynchronous device in miniature: calls queue work, which only runs on synchronize()."""

    def __init__(self) -> None:
        self.now = 0.0
        self.queued = 0.0
        self.kernels_done = 0

    def clock(self) -> float:
        return self.now

    def launch(self, seconds: float = 3.0) -> None:
        self.now += 0.001  # queueing is cheap...
        self.queued += seconds  # ...the work itself happens later

    def synchronize(self) -> None:
        self.now += self.queued
        self.queued = 0.0
        self.kernels_done += 1


def test_benchmark_times_each_repeat_after_the_warmup():
    calls = []
    ticks = iter(range(100))
    timing = benchmark(lambda: calls.append(1), repeats=4, warmup=2, clock=lambda: float(next(ticks)))
    assert len(calls) == 6  # two untimed warm-up calls, four timed ones
    assert isinstance(timing, Timing) and timing.times == (1.0, 1.0, 1.0, 1.0)


def test_benchmark_without_sync_times_only_the_queueing():
    gpu = FakeGPU()
    timing = benchmark(gpu.launch, repeats=3, warmup=0, clock=gpu.clock)
    assert timing.best == pytest.approx(0.001)
    assert gpu.queued == pytest.approx(9.0)  # the work never ran inside the measurements


def test_benchmark_with_sync_times_the_work():
    gpu = FakeGPU()
    gpu.launch(seconds=100.0)  # work queued earlier must not be charged to fn
    timing = benchmark(gpu.launch, repeats=3, warmup=1, sync=gpu.synchronize, clock=gpu.clock)
    assert timing.times == pytest.approx((3.001, 3.001, 3.001))
    assert gpu.queued == 0.0


def test_timing_statistics():
    timing = Timing((3.0, 1.0, 2.0, 10.0))
    assert timing.best == 1.0 and timing.median == 2.5 and timing.mean == 4.0


@pytest.mark.parametrize("bad", [{"repeats": 0}, {"warmup": -1}])
def test_benchmark_rejects_bad_counts(bad):
    with pytest.raises(ValueError):
        benchmark(lambda: None, **bad)


def test_benchmark_on_the_cpu_with_torch():
    torch = pytest.importorskip("torch")
    a = torch.randn(64, 64)
    timing = benchmark(lambda: a @ a, repeats=2, sync=torch.device("cpu"))
    assert len(timing.times) == 2 and timing.best >= 0.0
    assert benchmark(lambda: a @ a, repeats=1, sync="cpu").times[0] >= 0.0


def test_synchronize_on_the_cpu_needs_no_framework():
    code = ("import sys\nfrom course.device import synchronize, benchmark\n"
            "synchronize('cpu'); synchronize(None); benchmark(lambda: None, sync='cpu')\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_get_device_honours_a_preference():
    pytest.importorskip("torch")
    assert get_device("cpu").type == "cpu"
    assert get_device().type in {"cpu", "cuda", "mps"}
