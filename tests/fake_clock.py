"""A virtual clock for asyncio tests: time jumps to the next timer whenever the loop is idle.

`on_virtual_clock` runs an async test on a `VirtualClockLoop`: `loop.time()` starts at 0
and moves only when nothing is ready to run, straight to the next scheduled timer, so a
call's minutes of paced audio take milliseconds and every timing is exact. Work handed to
another thread (aiosqlite's, or `run_in_executor`) stops the clock until it is done: a slow
disk makes the test slower, never the call's timers fire early.
"""

from __future__ import annotations

import asyncio
import functools
import selectors
import sys
import weakref
from collections.abc import Callable, Coroutine
from typing import Any

STALL_S = 30.0  # real seconds with nothing scheduled and no I/O: the test is stuck
THREADED = ("aiosqlite",)  # modules whose futures are completed by a thread of their own


class _JumpingSelector(selectors.DefaultSelector):
    """A selector that, instead of sleeping until the next timer, moves the clock there."""

    def __init__(self, threads_busy: Callable[[], bool]) -> None:
        super().__init__()
        self.now = 0.0
        self._threads_busy = threads_busy

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout == 0:
            return super().select(0)
        if timeout is None or self._threads_busy():  # only I/O or a thread can wake us
            ready = super().select(STALL_S)
            if not ready:
                raise RuntimeError(f"nothing to run for {STALL_S:.0f} s of real time: stuck")
            return ready
        ready = super().select(0)
        if not ready:
            self.now += timeout
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop on a virtual clock (see the module docstring)."""

    def __init__(self) -> None:
        self._on_threads: weakref.WeakSet[asyncio.Future[Any]] = weakref.WeakSet()
        self._jumps = _JumpingSelector(self._threads_busy)
        super().__init__(self._jumps)

    def time(self) -> float:
        return self._jumps.now

    def create_future(self) -> asyncio.Future[Any]:
        future = super().create_future()
        if sys._getframe(1).f_globals.get("__name__", "").startswith(THREADED):
            self._on_threads.add(future)
        return future

    def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        future = super().run_in_executor(executor, func, *args)
        self._on_threads.add(future)
        return future

    def _threads_busy(self) -> bool:
        return any(not future.done() for future in self._on_threads)


def on_virtual_clock(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run the async test `test` to completion on a fresh `VirtualClockLoop`."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        loop = VirtualClockLoop()
        try:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(test(*args, **kwargs))
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            asyncio.set_event_loop(None)
            loop.close()

    return run
