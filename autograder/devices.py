"""Where submissions run: K slots per GPU (K submissions share a GPU, each with its own cap), or N CPU slots.

GPUs and their memory are found with ``nvidia-smi`` so that the grader never imports a
framework. The slot plan is a pure function of the GPUs found and the command-line options, so
it is tested with made-up GPU lists.

Sharing a GPU (``--per-gpu K``): each of the K slots of a GPU sees only that GPU
(``CUDA_VISIBLE_DEVICES``), gets its share of the cores (math threads) and a memory cap,
``AUTOGRADER_GPU_MEMORY_MB``, that a hook in the kernel applies when the notebook imports
TensorFlow or PyTorch (:mod:`autograder.gpu_share`). The default K (:func:`default_per_gpu`)::

    K = min(memory of the smallest GPU used // (need + CONTEXT_MB), cores // GPUs used), at least 1

where ``need`` is the GPU memory one submission of the assignment needs (``DEFAULT_NEED_MB``,
4096 MiB, unless ``--gpu-memory-mb`` says otherwise) and ``CONTEXT_MB`` is left to each
process's CUDA context and libraries, outside any cap. Each of the K slots is capped at
``(memory - K * CONTEXT_MB) // K``. With K = 1 (also the default when the memory is unknown),
a submission has its GPU alone and no cap, as before.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

_GPU_LINE = re.compile(r"^GPU\s+(\d+):\s*(.*?)\s*(?:\(UUID:.*\))?\s*$")
DEFAULT_NEED_MB = 4096  # GPU memory one submission needs, unless the command line says otherwise
CONTEXT_MB = 1024  # per process: the CUDA context and the frameworks' kernels, outside the cap
MIN_CAP_MB = 256  # a cap below this is refused: no framework starts in it
MEMORY_ENV = "AUTOGRADER_GPU_MEMORY_MB"  # the cap the kernel's hook applies (autograder.gpu_share)
ALLOW_GROWTH_ENV = "TF_FORCE_GPU_ALLOW_GROWTH"
CAP_ENV = (MEMORY_ENV, ALLOW_GROWTH_ENV)  # what gpu_cap_env sets


@dataclass(frozen=True)
class Slot:
    """A place where one submission runs at a time: its label and the environment it gets."""

    label: str  # "cpu:0", "gpu:1"...
    env: dict[str, str] = field(default_factory=dict)

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"gpu:N"`` (also for ``gpu:N/k``, the k-th slot sharing GPU N), as written in the results."""
        return self.label.split("/")[0] if self.label.startswith("gpu") else "cpu"


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


def parse_gpu_memory(output: str) -> dict[int, int]:
    """``{index: MiB}`` from ``nvidia-smi --query-gpu=index,memory.total --format=csv,noheader,nounits``."""
    memory = {}
    for line in output.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            memory[int(parts[0])] = int(parts[1])
    return memory


def detect_gpu_memory() -> dict[int, int]:
    """Total memory (MiB) of each GPU, or ``{}`` when ``nvidia-smi`` is missing or fails."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return {}
    try:
        out = subprocess.run([exe, "--query-gpu=index,memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    return parse_gpu_memory(out.stdout) if out.returncode == 0 else {}


def smallest_memory(gpu_memory: dict[int, int], indices: list[int]) -> int:
    """MiB of the smallest of these GPUs; 0 when any of them has no known memory (or none is given)."""
    if not indices or not all(i in gpu_memory for i in indices):
        return 0
    return min(gpu_memory[i] for i in indices)


def default_per_gpu(memory_mb: int | None, need_mb: int, cores_per_gpu: int) -> int:
    """Submissions per GPU: as many as fit ``need_mb`` each plus a context, one core each at least."""
    if not memory_mb:
        return 1
    return max(1, min(memory_mb // (need_mb + CONTEXT_MB), cores_per_gpu))


def memory_cap(memory_mb: int | None, per_gpu: int) -> int | None:
    """The cap (MiB) of each of ``per_gpu`` slots sharing a GPU of ``memory_mb``; ``None`` for a GPU alone."""
    if per_gpu == 1:
        return None
    if not memory_mb:
        raise ValueError("--per-gpu above 1 needs the GPUs' memory, and nvidia-smi did not give it")
    cap = (memory_mb - per_gpu * CONTEXT_MB) // per_gpu
    if cap < MIN_CAP_MB:
        raise ValueError(f"--per-gpu {per_gpu} leaves {cap} MiB per submission on a GPU of {memory_mb} MiB "
                         f"(at least {MIN_CAP_MB} MiB each)")
    return cap


def plan_slots(gpus: str, detected: list[int], workers: int | None, cpu_count: int | None = None,
               threads: int | None = None, per_gpu: int | None = None, gpu_memory: dict[int, int] | None = None,
               need_mb: int = DEFAULT_NEED_MB) -> list[Slot]:
    """The slots a batch runs on.

    Args:
        gpus: ``"auto"`` (every GPU found, else CPU workers), ``"none"`` (CPU only, GPUs hidden)
            or a comma-separated list of GPU indices (``"0,1"``).
        detected: indices of the GPUs found on the machine.
        workers: number of CPU slots (default: one per two cores, at least one); with GPUs,
            the number of GPUs used at most (default: all of them).
        cpu_count: cores of the machine (``os.cpu_count()`` when None).
        threads: math threads per submission (default: the cores shared among the slots).
        per_gpu: submissions sharing each GPU (default: :func:`default_per_gpu`, see the module's doc).
        gpu_memory: total MiB of each GPU (``detect_gpu_memory()``); needed for ``per_gpu`` above 1.
        need_mb: GPU memory one submission needs, for the default ``per_gpu``.
    """
    cores = cpu_count or os.cpu_count() or 1
    if workers is not None and workers < 1:
        raise ValueError("--workers must be at least 1")
    if per_gpu is not None and per_gpu < 1:
        raise ValueError("--per-gpu must be at least 1")
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
        smallest = smallest_memory(gpu_memory or {}, chosen)
        k = per_gpu or default_per_gpu(smallest, need_mb, max(1, cores // len(chosen)))
        cap = memory_cap(smallest, k)
        per = threads or max(1, cores // (len(chosen) * k))
        slots = []
        for i in chosen:
            env = {"CUDA_VISIBLE_DEVICES": str(i), **_thread_env(per), **gpu_cap_env(cap)}
            slots += [Slot(f"gpu:{i}" if k == 1 else f"gpu:{i}/{j}", env) for j in range(k)]
        return slots
    n = workers or max(1, cores // 2)
    per = threads or max(1, cores // n)
    # With GPUs on the machine but not used, hide them from the students' code.
    hide = {"CUDA_VISIBLE_DEVICES": ""} if detected else {}
    return [Slot(f"cpu:{i}", {**hide, **_thread_env(per)}) for i in range(n)]


def shares_gpu(slot: Slot) -> bool:
    """Whether ``slot`` is one of several sharing a GPU (``--per-gpu`` above 1)."""
    return slot.device.startswith("gpu") and "/" in slot.label


def exclusive_slot(shared: list[Slot]) -> Slot:
    """One slot with the whole GPU that ``shared`` (all the slots of one GPU) divide among them:
    no memory cap, and their math threads together. For a submission graded again alone."""
    devices = {s.device for s in shared}
    if len(devices) != 1 or not all(shares_gpu(s) for s in shared):
        raise ValueError(f"expected the shared slots of one GPU, got {[s.label for s in shared]}")
    first = shared[0]
    threads = sum(int(s.env.get("OMP_NUM_THREADS", "1")) for s in shared)
    env = {k: v for k, v in first.env.items() if k not in CAP_ENV}
    return Slot(first.device, {**env, **_thread_env(threads)})


def gpu_cap_env(cap_mb: int | None) -> dict[str, str]:
    """The kernel's environment for a GPU memory cap (none for a GPU alone)."""
    if cap_mb is None:
        return {}
    # TensorFlow then takes memory as it needs it, up to the cap, instead of the whole GPU at once.
    return {MEMORY_ENV: str(cap_mb), ALLOW_GROWTH_ENV: "true"}


def _thread_env(threads: int) -> dict[str, str]:
    value = str(threads)
    return {"OMP_NUM_THREADS": value, "MKL_NUM_THREADS": value, "OPENBLAS_NUM_THREADS": value,
            "TF_NUM_INTRAOP_THREADS": value, "TF_NUM_INTEROP_THREADS": "1"}
