"""The lifecycle of a pool of worker processes, shared by recognition and synthesis.

A pool's worker is `python -m MODULE ARGS` with pipes on stdin and stdout, in a session of
its own (a Ctrl-C or SIGTERM to the server's process group must not kill the workers before
the server has drained its calls; if the server dies, a worker sees EOF on stdin and exits).
`WorkerProcesses` starts a pool all or nothing, replaces a worker that died, and stops them
all; what a worker says and how its death is noticed stay with each pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # for `python -m stt...`


async def spawn_process(module: str, *args: str) -> asyncio.subprocess.Process:
    """Start `python -m module args` with our project on PYTHONPATH, in its own session."""
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else ROOT}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        start_new_session=True, env=env,
    )


async def stop_process(proc: asyncio.subprocess.Process, grace_s: float) -> None:
    """Close its stdin (a worker exits on EOF) and kill it if it has not gone in `grace_s`
    (at once with 0)."""
    if proc.stdin is not None and not proc.stdin.is_closing():
        proc.stdin.close()
    try:
        if grace_s <= 0:
            raise asyncio.TimeoutError
        await asyncio.wait_for(proc.wait(), grace_s)
    except asyncio.TimeoutError:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await proc.wait()


class Worker(Protocol):
    @property
    def pid(self) -> int: ...

    async def stop(self, timeout: float) -> None: ...


W = TypeVar("W", bound=Worker)


class WorkerProcesses(Generic[W]):
    """Start, replace and stop the workers of one pool.

    `start_worker` starts one worker and returns once it is ready (raising when it cannot
    start). A replacement tries once, or with `retry_s` again every `retry_s` until it starts
    or the pool closes.
    """

    def __init__(self, kind: str, start_worker: Callable[[], Awaitable[W]],
                 error: type[Exception] = RuntimeError, retry_s: float | None = None) -> None:
        self.kind = kind
        self.error = error
        self.workers: list[W] = []
        self.restarts = 0
        self.closed = False
        self.spawning: set[asyncio.Task[W]] = set()
        self._start_worker = start_worker
        self._retry_s = retry_s

    async def start(self, size: int) -> None:
        """Start `size` workers at once; if one cannot start, stop the others and raise."""
        results = await asyncio.gather(*(self.add() for _ in range(size)), return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            started, self.workers = self.workers, []
            await asyncio.gather(*(w.stop(1.0) for w in started))
            raise failed[0]

    async def add(self) -> W:
        """Start one more worker."""
        worker = await self._start_worker()
        if self.closed:
            await worker.stop(timeout=1.0)
            raise self.error(f"{self.kind} pool is closed")
        self.workers.append(worker)
        return worker

    def replace(self, dead: W, reason: str) -> asyncio.Task[W] | None:
        """Forget `dead` and start its replacement in the background; None when the pool is
        closing or `dead` was already replaced."""
        if dead not in self.workers:
            return None
        self.workers.remove(dead)
        if self.closed:
            return None
        log.error("%s; starting a new %s worker", reason, self.kind)
        self.restarts += 1
        task = asyncio.create_task(self._respawn())
        self.spawning.add(task)
        task.add_done_callback(self._respawned)
        return task

    async def _respawn(self) -> W:
        while True:
            try:
                return await self.add()
            except Exception as exc:
                if self._retry_s is None or self.closed:
                    raise
                log.error("%s; retrying in %g s", exc, self._retry_s)
                await asyncio.sleep(self._retry_s)

    def _respawned(self, task: asyncio.Task[W]) -> None:
        self.spawning.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s worker could not be replaced: %s", self.kind, task.exception())

    async def close(self, timeout: float = 5.0,
                    before_stop: Callable[[W], object] | None = None) -> None:
        """Stop every worker (each gets `timeout` to exit), after `before_stop(worker)`."""
        self.closed = True
        for task in list(self.spawning):
            task.cancel()
        await asyncio.gather(*self.spawning, return_exceptions=True)
        workers, self.workers = list(self.workers), []
        for worker in workers:
            if before_stop is not None:
                before_stop(worker)
        await asyncio.gather(*(w.stop(timeout) for w in workers))
