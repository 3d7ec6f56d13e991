"""A GPU shared by several submissions: the memory cap applied in each kernel, and its out-of-memory errors.

The slot's environment carries the cap (``AUTOGRADER_GPU_MEMORY_MB``, see
:mod:`autograder.devices`). :func:`cap_code` is run silently in the kernel before the seeds and
the first cell; it imports no framework. It applies the cap the moment the notebook imports one:

- TensorFlow: one logical GPU per physical GPU with ``memory_limit`` = the cap (the slot's
  ``TF_FORCE_GPU_ALLOW_GROWTH=true`` makes TensorFlow take memory as needed, up to it);
- PyTorch: ``torch.cuda.set_per_process_memory_fraction(cap / total)`` on every visible GPU,
  queued with ``torch.cuda._lazy_call`` so that importing PyTorch does not start CUDA.

An error output of a cell that says the GPU ran out of memory (:func:`gpu_out_of_memory`) ends
the notebook as ``memory``, like the CPU memory limit: the cells after it are not run.
"""

from __future__ import annotations

import re
from typing import Any

from .devices import MEMORY_ENV
from .kernel_hooks import with_on_import

_CODE = '''
def __autograder_gpu_cap():
    import os
    try:
        cap = int(os.environ.get("{env}", ""))
    except ValueError:
        return
    if cap <= 0:
        return

    def cap_tensorflow(tf):
        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.set_logical_device_configuration(
                gpu, [tf.config.LogicalDeviceConfiguration(memory_limit=cap)])

    def cap_torch(torch):
        def apply():
            for index in range(torch.cuda.device_count()):
                total = torch.cuda.get_device_properties(index).total_memory
                torch.cuda.set_per_process_memory_fraction(min(1.0, cap * 2**20 / total), index)
        if hasattr(torch.cuda, "_lazy_call"):
            torch.cuda._lazy_call(apply)
        elif torch.cuda.is_available():
            apply()

    __autograder_on_import({{"tensorflow": cap_tensorflow, "torch": cap_torch}}, "CapOnImport", warn=True)


__autograder_gpu_cap()
del __autograder_gpu_cap
'''

# torch.cuda.OutOfMemoryError ("CUDA out of memory. Tried to allocate ..."), older PyTorch's
# RuntimeError with the same text, TensorFlow's ResourceExhaustedError ("OOM when allocating
# tensor ... device:GPU:0 ..."), and the CUDA libraries' own allocation failures.
_OOM = re.compile(r"CUDA out of memory|CUDA_ERROR_OUT_OF_MEMORY|cudaErrorMemoryAllocation|"
                  r"CUBLAS_STATUS_ALLOC_FAILED|CUDNN_STATUS_ALLOC_FAILED|OOM when allocating.*GPU", re.S)


def cap_code() -> str:
    """Python source that caps the kernel's GPU memory at ``$AUTOGRADER_GPU_MEMORY_MB`` (no-op without it)."""
    return with_on_import(_CODE).format(env=MEMORY_ENV)


def gpu_out_of_memory(output: dict[str, Any]) -> bool:
    """True for a cell's error output that says the GPU ran out of memory."""
    if output.get("output_type") != "error":
        return False
    text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
    return output.get("ename") == "OutOfMemoryError" or bool(_OOM.search(text))
