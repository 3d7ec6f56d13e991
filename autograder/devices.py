"""Where submissions run: one slot per GPU (one submission per GPU at a time), or N CPU slots.

GPUs are found with ``nvidia-smi -L`` so that the grader never imports a framework. The slot
plan is a pure function of the GPUs found and the command-line options, so it is tested with
made-up GPU lists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

_GPU_LINE = re.compile(r"^GPU\s+(\d+):\s*(.*?)\s*(?:\(UUID:.*\))?\s*$")


@dataclass(frozen=True)
class Slot:
    """A place where one submission runs at a time: its label and the environment it gets."""

    label: str  # "cpu:0", "gpu:1"...
    env: dict[str, str] = field(default_factory=dict)

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"gpu:N"``, as written in the results."""
        return self.label if self.label.startswith("gpu") else "cpu"


def parse_nvidia_smi(output: str) -> list[tuple[int, str]]:
    """``[(index, name), ...]`` from the output of ``nvidia-smi -L``."""
    gpus = []
    for line in output.splitlines():
        match = _GPU_LINE.match(line.strip())
        if match:
            gpus.append((int(match.group(1)), match.group(2)))
    return gpus


def detect_gpus() -> list[tuple[int, str]]:
    """The machine's NVIDIA GPUs, or ``[]`` when there is no ``nvidia-smi`` or it fails."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_nvidia_smi(out.stdout) if out.returncode == 0 else []


def plan_slots(gpus: str, detected: list[int], workers: int | None, cpu_count: int | None = None,
               threads: int | None = None) -> list[Slot]:
    """The slots a batch runs on.

    Args:
        gpus: ``"auto"`` (every GPU found, else CPU workers), ``"none"`` (CPU only, GPUs hidden)
            or a comma-separated list of GPU indices (``"0,1"``).
        detected: indices of the GPUs found on the machine.
        workers: number of CPU slots (default: one per two cores, at least one); with GPUs,
            the number of GPUs used at most (default: all of them).
        cpu_count: cores of the machine (``os.cpu_count()`` when None).
        threads: math threads per submission (default: the cores shared among the slots).
    """
    cores = cpu_count or os.cpu_count() or 1
    if workers is not None and workers < 1:
        raise ValueError("--workers must be at least 1")
    spec = gpus.strip().lower()
    if spec == "auto":
        chosen = list(detected)
    elif spec in ("none", "cpu", ""):
        chosen = []
    else:
        try:
            chosen = [int(part) for part in spec.split(",") if part.strip()]
        except ValueError:
            raise ValueError(f"--gpus expects auto, none or indices like 0,1; got {gpus!r}") from None
        missing = sorted(set(chosen) - set(detected))
        if missing:
            raise ValueError(f"GPU(s) {missing} not found; this machine has {sorted(detected) or 'none'}")
        chosen = list(dict.fromkeys(chosen))
    if chosen:
        if workers is not None:
            chosen = chosen[:workers]
        per = threads or max(1, cores // len(chosen))
        return [Slot(f"gpu:{i}", {"CUDA_VISIBLE_DEVICES": str(i), **_thread_env(per)}) for i in chosen]
    n = workers or max(1, cores // 2)
    per = threads or max(1, cores // n)
    # With GPUs on the machine but not used, hide them from the students' code.
    hide = {"CUDA_VISIBLE_DEVICES": ""} if detected else {}
    return [Slot(f"cpu:{i}", {**hide, **_thread_env(per)}) for i in range(n)]


def _thread_env(threads: int) -> dict[str, str]:
    value = str(threads)
    return {"OMP_NUM_THREADS": value, "MKL_NUM_THREADS": value, "OPENBLAS_NUM_THREADS": value,
            "TF_NUM_INTRAOP_THREADS": value, "TF_NUM_INTEROP_THREADS": "1"}
