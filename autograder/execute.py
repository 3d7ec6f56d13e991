"""The executor: nbgrader's ``Execute`` in the grader's kernel (sandboxed, seeded, watched, bounded output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async, run_sync
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer

from . import messages
from . import sandbox as sbx
from .cgroups import Cgroup
from .gpu_share import cap_code, gpu_out_of_memory
from .seeding import seed_code
from .watchdog import Watchdog, kernel_pid


class GpuOutOfMemory(Exception):
    """A cell ran out of GPU memory (its cap on a shared GPU, or the GPU's): the notebook stops as ``memory``."""


class GradingExecute(Execute):
    """nbgrader's ``Execute``, which reports its kernel to the watchdog and seeds it first."""

    seed = Integer(42).tag(config=True)

    def __init__(self, watchdog: Watchdog | None = None, kernel_log: Path | None = None,
                 sandbox: sbx.Sandbox | None = None, uid: int | None = None, gpu: bool = False,
                 output_limit: int | None = None, cgroup: Cgroup | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.watchdog = watchdog
        self.kernel_log = kernel_log
        self.sandbox, self.uid, self.gpu, self.cgroup = sandbox, uid, gpu, cgroup
        self.output_limit = output_limit
        self.output_bytes = 0
        self.truncated = False
        self.hidden_errors: list[int] = []
        self.executed: set[int] = set()
        self.started: set[int] = set()  # code cells sent to the kernel

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any], index: int) -> Any:
        if cell.cell_type == "code" and cell.source.strip():
            self.started.add(index)
        return super().preprocess_cell(cell, resources, index)

    def create_kernel_manager(self) -> Any:
        self.kernel_manager_class = sbx.GraderKernelManager
        km = super().create_kernel_manager()
        km.setup(self.sandbox, Path(self.resources["metadata"]["path"]), self.uid, self.gpu, self.cgroup)
        return km

    async def async_start_new_kernel(self, **kwargs: Any) -> None:
        if self.kernel_log is not None:  # the kernel process's own output, not the cells'
            log = open(self.kernel_log, "ab")
            kwargs.setdefault("stdout", log)
            kwargs.setdefault("stderr", log)
        await super().async_start_new_kernel(**kwargs)
        if self.watchdog is not None:
            self.watchdog.watch(kernel_pid(self.km))

    start_new_kernel = run_sync(async_start_new_kernel)

    async def async_start_new_kernel_client(self) -> Any:
        kc = await super().async_start_new_kernel_client()
        # On a GPU, the memory cap's import hook first, so it runs before the seeds touch the frameworks.
        code = (cap_code() if self.gpu else "") + seed_code(self.seed)
        msg_id = await ensure_async(kc.execute(code, silent=True, store_history=False))
        reply = await self.async_wait_for_reply(msg_id)
        if reply is None or reply["content"].get("status") != "ok":
            self.log.warning("Seeding the kernel failed: %s", reply and reply["content"].get("evalue"))
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def on_cell_executed(self, **kwargs: Any) -> None:
        # The kernel's reply says the cell failed, but no error was shown (``showtraceback`` replaced,
        # say): nbgrader's ``Execute`` records the failure; we note it for the report.
        reply = (kwargs.get("execute_reply") or {}).get("content", {})
        if reply.get("status") == "error" and not any(o.get("output_type") == "error" for o in kwargs["cell"].outputs):
            self.hidden_errors.append(kwargs["cell_index"])
        super().on_cell_executed(**kwargs)
        self.executed.add(kwargs["cell_index"])
        if self.gpu and any(gpu_out_of_memory(o) for o in kwargs["cell"].outputs):
            raise GpuOutOfMemory(f"cell {kwargs['cell_index']} ran out of GPU memory")

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        """Keep outputs up to ``output_limit`` bytes per notebook; drop the rest, with a note."""
        if self.output_limit is not None:
            size = _content_size(msg.get("content", {}))
            if self.output_bytes + size > self.output_limit:
                if not self.truncated:
                    self.truncated = True
                    text = messages.OUTPUT_TRUNCATED_IN_CELL.format(limit_mib=self.output_limit / messages.MiB)
                    note = nbformat.v4.new_output("stream", name="stdout", text=text)
                    outs.append(note)
                return None
            self.output_bytes += size
        return super().output(outs, msg, display_id, cell_index)


def _content_size(content: dict[str, Any]) -> int:
    """Rough bytes of an output message's payload."""
    size = len(content.get("text", "")) + sum(len(line) for line in content.get("traceback", []))
    for value in (content.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(json.dumps(value))
    return size
