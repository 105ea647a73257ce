"""Paced playback: audio chunks in, 20 ms frames out at real time, stoppable within one frame.

Frame n is due at start + n * frame_ms on the monotonic clock (an absolute schedule, so
sleeping never accumulates drift). A frame sent more than one frame period after its due
time is "late" (the event loop stalled, or the next sentence was not ready yet); the
schedule is then re-anchored rather than bursting frames to catch up, so `played_ms`
stays what the far end has actually heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tts.formats import Fmt, output_format

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class PlayResult:
    """What a `play()` did: audio sent in real time, and whether it reached the end."""

    played_ms: float
    completed: bool
    frames: int = 0
    late_frames: int = 0
    max_late_ms: float = 0.0
    error: str | None = None
    hung_up: bool = False  # the error was the far end going away, not a fault of ours

    @property
    def failed(self) -> bool:
        """The audio source (synthesis) or the send broke: the caller missed part of it."""
        return self.error is not None and not self.hung_up


class _Cancelled(Exception):
    pass


class Player:
    """Sends `fmt` audio through `send(frame)` one frame at a time, paced at real time.

    `cancel()` stops the current play (or the next one, if none is running) before its next
    frame; `play()` then returns what was actually sent. `lead_ms` sends that much audio
    ahead of real time at the start (a jitter cushion for the far end; 0 = strict pacing).
    """

    def __init__(
        self,
        send: Callable[[bytes], Awaitable[None]],
        fmt: Fmt = "mulaw8k",
        frame_ms: int = 20,
        clock: Callable[[], float] = time.monotonic,
        lead_ms: int = 0,
    ) -> None:
        self.send = send
        self.format = output_format(fmt)
        self.frame_ms = frame_ms
        self.frame_bytes = self.format.frame_bytes(frame_ms)
        self._clock = clock
        self._lead = lead_ms // frame_ms
        self._cancel = asyncio.Event()
        self._frames = 0
        self.playing = False

    @property
    def played_ms(self) -> float:
        """Audio sent so far by the current (or last) play."""
        return self._frames * self.frame_ms

    def cancel(self) -> None:
        """Stop before the next frame (at most one frame period from now)."""
        self._cancel.set()

    async def _until_cancel(self, awaitable: Awaitable[T]) -> T:
        """Await `awaitable`, or raise _Cancelled as soon as cancel() is called."""
        if self._cancel.is_set():
            raise _Cancelled
        task = asyncio.ensure_future(awaitable)
        waiter = asyncio.ensure_future(self._cancel.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise _Cancelled

    async def _sleep_until(self, due: float) -> None:
        delay = due - self._clock()
        if delay > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._cancel.wait(), delay)
        if self._cancel.is_set():
            raise _Cancelled

    async def play(self, chunks: AsyncIterator[bytes]) -> PlayResult:
        """Play every chunk; returns played ms, completion, late frames (and an error, if any)."""
        self._frames = 0
        self.playing = True
        late = 0
        max_late = 0.0
        period = self.frame_ms / 1000
        pending = bytearray()
        start: float | None = None
        completed = False
        error: str | None = None
        hung_up = False
        iterator = chunks.__aiter__()
        try:
            exhausted = False
            while True:
                while not exhausted and len(pending) < self.frame_bytes:
                    try:
                        pending += await self._until_cancel(iterator.__anext__())
                    except StopAsyncIteration:
                        exhausted = True
                if not pending:
                    if start is not None:  # return when the far end has heard the last frame
                        await self._sleep_until(start + (self._frames - self._lead) * period)
                    completed = True
                    break
                frame = bytes(pending[: self.frame_bytes])
                del pending[: self.frame_bytes]
                if len(frame) < self.frame_bytes:  # the very end: pad with silence
                    frame += self.format.silence * ((self.frame_bytes - len(frame)) // self.format.sample_width)
                now = self._clock()
                if start is None:
                    start = now
                due = start + max(0, self._frames - self._lead) * period
                behind = now - due
                if behind > period:
                    late += 1
                    max_late = max(max_late, behind * 1000)
                    start = now - max(0, self._frames - self._lead) * period  # re-anchor, no burst
                    due = now
                await self._sleep_until(due)
                await self.send(frame)
                self._frames += 1
        except _Cancelled:
            pass
        except ConnectionError as exc:  # the caller hung up: an ordinary end, not a fault
            error = f"{type(exc).__name__}: {exc}"
            hung_up = True
            log.info("playback stopped: %s", error)
        except Exception as exc:  # a failed synthesis ends this play; the caller reports it
            error = f"{type(exc).__name__}: {exc}"
            log.info("playback stopped: %s", error)
        finally:
            self.playing = False
            self._cancel.clear()
            aclose: Any = getattr(iterator, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        return PlayResult(
            played_ms=self.played_ms, completed=completed, frames=self._frames,
            late_frames=late, max_late_ms=round(max_late, 1), error=error,
            hung_up=hung_up,
        )
