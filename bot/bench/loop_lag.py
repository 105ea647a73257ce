"""How late the event loop wakes a task that wants to run every 20 ms, as the bot's audio
pacing does: the wall-clock measure of "blocking work stays off the event loop"."""

from __future__ import annotations

import asyncio
import time

FRAME_S = 0.02


class Pacer:
    """A task on the running loop that sleeps to an absolute 20 ms schedule and records how
    late each wake-up was (seconds); `with Pacer() as pacer:` runs it for the block."""

    def __init__(self, period_s: float = FRAME_S) -> None:
        self.period_s = period_s
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        due = time.monotonic()
        while True:
            due += self.period_s
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            now = time.monotonic()
            self.lags.append(now - due)
            due = max(due, now - self.period_s)  # do not try to catch up a long stall

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()

    def __enter__(self) -> Pacer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
