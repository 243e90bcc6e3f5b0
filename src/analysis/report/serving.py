"""Serving the explorer to colleagues with Voilà, with memory kept bounded.

Each open page has its own kernel (about 200-360 MB). Three things bound them: a kernel idle for
``--idle-minutes`` is stopped, tab open or not (jupyter_server's culling); at most
``--max-kernels`` run at once, the one unused the longest making way for a new page
(``BoundedKernelManager``); and one kernel is kept started and computed ahead (Voilà's preheated
pool), so a page opens without waiting for imports and the first scenario.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from traitlets import Integer

from ..paths import NOTEBOOK_DIR, TEMPLATE_DIR

JUPYTER_DIR = TEMPLATE_DIR / "jupyter"  # holds voila/templates/explorer: Danish loading text
HANDED_OUT_GRACE = timedelta(seconds=60)  # a page just given a kernel is still connecting: never its kernel
# Voilà starts the next preheated kernel 1 s after a page takes one, while that page is still drawing:
# its imports and first scenario (about 3 s of CPU) slowed the page's first render by 0.5-1 s on two
# cores (benchmarks/README.md). 5 s lets the page finish first; a page opened in the meantime waits.
REFILL_DELAY_SECONDS = 5


class BoundedKernelManager(AsyncMappingKernelManager):
    """Jupyter's kernel manager with a cap: starting a kernel beyond ``max_kernels`` first stops
    the one unused the longest, closed tabs before open ones; kernels waiting in Voilà's preheated
    pool are not counted as used and are never stopped for this."""

    max_kernels = Integer(8, config=True, help="Most kernels running at once, preheated ones included.")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pooled: set[str] = set()
        self._handed_out: dict[str, datetime] = {}

    def _pool_ids(self) -> set[str]:
        """Kernels started for Voilà's pool and not yet given to a page."""
        ids = set()
        for pool in getattr(self, "_pools", {}).values():
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    ids.add(task.result()["kernel_id"])
        return ids

    def _longest_unused(self) -> str | None:
        now = datetime.now(timezone.utc)
        pooled = self._pool_ids()
        for kernel_id in self._pooled - pooled:  # left the pool since last time: given to a page now
            self._handed_out.setdefault(kernel_id, now)
        self._pooled = pooled

        def used(kernel_id: str) -> tuple[bool, datetime]:
            kernel = self._kernels[kernel_id]
            handed_out = self._handed_out.get(kernel_id)
            recent = handed_out is not None and now - handed_out < HANDED_OUT_GRACE
            activity = max(filter(None, [getattr(kernel, "last_activity", None), handed_out]), default=now)
            return self._kernel_connections.get(kernel_id, 0) > 0 or recent, activity

        candidates = [kernel_id for kernel_id in self.list_kernel_ids() if kernel_id not in pooled]
        return min(candidates, key=used, default=None)

    async def start_kernel(self, *args, **kwargs) -> str:
        while len(self.list_kernel_ids()) >= self.max_kernels:
            victim = self._longest_unused()
            if victim is None:
                break
            self.log.warning("The explorer has %d kernels (--max-kernels): stopping %s, unused the longest",
                             self.max_kernels, victim)
            self._handed_out.pop(victim, None)
            await self.shutdown_kernel(victim)
        return await super().start_kernel(*args, **kwargs)


def voila_command(host: str, port: int, idle_minutes: float, max_kernels: int, open_browser: bool = False,
                  preheat: bool = True) -> list[str]:
    """The Voilà command line for ``analysis explore``."""
    idle = round(idle_minutes * 60)
    manager = f"{BoundedKernelManager.__module__}.{BoundedKernelManager.__name__}"
    command = [sys.executable, "-m", "voila", str(NOTEBOOK_DIR / "explorer.ipynb"), f"--port={port}",
               f"--Voila.ip={host}", "--theme=light", "--template=explorer", "--show_tracebacks=False",
               "--HTMLExporter.language_code=da",
               f"--VoilaConfiguration.multi_kernel_manager_class={manager}",
               f"--BoundedKernelManager.max_kernels={max_kernels}",
               f"--MappingKernelManager.cull_idle_timeout={idle}",
               f"--MappingKernelManager.cull_interval={max(1, min(60, idle // 2))}",
               "--MappingKernelManager.cull_connected=True"]
    if preheat:
        command += ["--preheat_kernel=True", "--pool_size=1", f"--VoilaKernelManager.fill_delay={REFILL_DELAY_SECONDS}"]
    if not open_browser:
        command.append("--no-browser")
    return command


def voila_environment(database: Path) -> dict[str, str]:
    """The environment Voilà and its kernels run in: the database to open, and our template's folder."""
    paths = [str(JUPYTER_DIR), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    return {**os.environ, "ANALYSIS_DB": str(database), "JUPYTER_PATH": os.pathsep.join(paths)}


def kernel_processes(server_pid: int) -> list:
    """The live kernels of the explorer's server (a stopped one may linger as a zombie until Voilà
    reaps it), for the tests and the benchmark; needs psutil, which the test extras install."""
    import psutil

    found = []
    for process in psutil.Process(server_pid).children(recursive=True):
        try:
            if any("ipykernel" in part for part in process.cmdline()):
                found.append(process)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            pass
    return found
