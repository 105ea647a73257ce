"""The synthesis requests waiting for a worker, and which one a worker may take.

A reply's first chunk (priority `FIRST_CHUNK`) is what a caller waits for in silence; every
later chunk is synthesised while earlier audio plays. When every worker is busy with later
chunks of other calls, a first chunk waits a whole synthesis (~200 ms with Piper), which is
a delay a caller hears as silence. So the pool gives one worker the role of never taking a
later chunk of a live reply (`get(first_chunks_only=True)`): it is nearly always free when a
first chunk arrives. It still takes pre-rendering, which runs at train time and never
beside calls. The others take anything, lowest priority number first.
"""

from __future__ import annotations

import asyncio
import heapq
from dataclasses import dataclass, field

FIRST_CHUNK = 0  # a reply's first chunk: the caller hears nothing until it is made
PRERENDER = 1000  # pre-rendering at train time or start-up: behind every live request


@dataclass(order=True)
class Job:
    """One synthesis request (ordered by priority, then by arrival)."""

    priority: int
    seq: int
    text: str = field(compare=False)
    rate: int | None = field(compare=False)
    future: asyncio.Future = field(compare=False)
    attempts: int = field(default=0, compare=False)


class JobQueue:
    """A priority queue whose `get` can be limited to first chunks."""

    def __init__(self) -> None:
        self._heap: list[Job] = []
        self._waiters: list[asyncio.Future[None]] = []

    def put_nowait(self, job: Job) -> None:
        heapq.heappush(self._heap, job)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:  # each checks again whether the head is for it
            if not waiter.done():
                waiter.set_result(None)

    def _ready(self, first_chunks_only: bool) -> bool:
        if not self._heap:
            return False
        head = self._heap[0].priority
        return not first_chunks_only or head <= FIRST_CHUNK or head >= PRERENDER

    async def get(self, first_chunks_only: bool = False) -> Job:
        """The next job this worker may take, waiting for one if needed."""
        while not self._ready(first_chunks_only):
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return heapq.heappop(self._heap)

    def empty(self) -> bool:
        return not self._heap

    def get_nowait(self) -> Job:
        return heapq.heappop(self._heap)

    def describe(self) -> dict[str, int]:
        """Waiting jobs by kind (for the log line of a request that timed out)."""
        first = sum(1 for job in self._heap if job.priority <= FIRST_CHUNK)
        prerender = sum(1 for job in self._heap if job.priority >= PRERENDER)
        return {"first_chunks": first, "later_chunks": len(self._heap) - first - prerender,
                "prerender": prerender}
