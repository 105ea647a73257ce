"""Admission by measured headroom: a new call is taken while the calls in progress are
served on time, whatever the machine.

A fixed call count is right on one machine and wrong on the next (the same 20 calls that
one 2-core Xeon carried gave another 2-core machine 4 s answers and choppy audio). So the
bot watches what overload does to the calls it has, over the last `window_s` seconds:
the event loop waking late (it paces every call's audio), outbound frames sent late, and
final transcripts arriving late after the end of speech (the recognizer workers falling
behind). While any is over its limit, new callers hear the busy message;
`calls.max_concurrent_calls` stays a hard cap on top.

The signals trail the load: a call admitted now costs its share only once the caller speaks,
10-20 s later, so callers waiting for a line would all be let in during the quiet moment
before it shows (offered twice its capacity, the bot took 62 calls where it could carry 12).
So admission also keeps a ceiling learned from overload, as a congestion window: the number of
calls at which overload was seen, minus one, lowered by one more for every further window
that stays overloaded, and raised by one after each window without overload at the ceiling
(one step per window: the readings that caused the last step linger that long).
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass

TICK_S = 0.05
MIN_SAMPLES = 5  # fewer final transcripts than this in the window say nothing yet


@dataclass(frozen=True)
class HeadroomLimits:
    max_loop_lag_ms: float = 40.0  # p95 of the event loop's wake-up delay
    max_late_frame_pct: float = 0.1  # outbound audio frames sent over one frame late
    max_final_delay_ms: float = 300.0  # p90 of end of speech -> final transcript
    window_s: float = 10.0


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else 0.0


class Headroom:
    """Owns the recent load signals; `overloaded()` says why no call should be added."""

    def __init__(self, limits: HeadroomLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._lags: collections.deque[tuple[float, float]] = collections.deque()
        self._frames: collections.deque[tuple[float, int, int]] = collections.deque()
        self._finals: collections.deque[tuple[float, float]] = collections.deque()
        self.ceiling: int | None = None  # calls the machine carried without overload
        self._ceiling_moved = float("-inf")
        self._started_at = float("-inf")

    async def watch_loop(self) -> None:
        """Measure how late the event loop wakes (run as a task for the server's life)."""
        while True:
            started = self._clock()
            await asyncio.sleep(TICK_S)
            # A tick begun before forget_startup() measures the start (the heap freeze blocks
            # the loop ~0.3 s while this sleep is pending), however late it lands.
            if started >= self._started_at:
                self.note_loop_lag((self._clock() - started - TICK_S) * 1000)

    def forget_startup(self) -> None:
        """Drop the loop lag measured while the server was starting (loading models, rendering
        prompts, freezing the heap): it says nothing about the calls to come, and kept for a
        window it turned away every caller of the first seconds."""
        self._lags.clear()
        self._started_at = self._clock()

    def note_loop_lag(self, ms: float) -> None:
        self._lags.append((self._clock(), max(0.0, ms)))

    def note_playback(self, frames: int, late: int) -> None:
        """Frames a call just sent, and how many of them went out late."""
        if frames:
            self._frames.append((self._clock(), frames, late))

    def note_final_delay(self, ms: float) -> None:
        self._finals.append((self._clock(), ms))

    def _trim(self) -> None:
        oldest = self._clock() - self.limits.window_s
        for series in (self._lags, self._frames, self._finals):
            while series and series[0][0] < oldest:
                series.popleft()

    def readings(self) -> dict[str, float]:
        """The current figures over the window."""
        self._trim()
        frames = sum(f for _, f, _ in self._frames)
        late = sum(n for _, _, n in self._frames)
        finals = [ms for _, ms in self._finals]
        return {
            "loop_lag_p95_ms": round(_p([ms for _, ms in self._lags], 95), 1),
            "late_frame_pct": round(100 * late / frames, 3) if frames else 0.0,
            "final_delay_p90_ms": round(_p(finals, 90), 1) if len(finals) >= MIN_SAMPLES else 0.0,
        }

    def overloaded(self) -> str | None:
        """None while there is room for another call, else what is over its limit."""
        now, limits = self.readings(), self.limits
        if now["loop_lag_p95_ms"] > limits.max_loop_lag_ms:
            return f"event loop lag p95 {now['loop_lag_p95_ms']:.0f} ms > {limits.max_loop_lag_ms:.0f} ms"
        if now["late_frame_pct"] > limits.max_late_frame_pct:
            return f"late audio frames {now['late_frame_pct']:.2f} % > {limits.max_late_frame_pct:g} %"
        if now["final_delay_p90_ms"] > limits.max_final_delay_ms:
            return (f"final transcripts p90 {now['final_delay_p90_ms']:.0f} ms after speech > "
                    f"{limits.max_final_delay_ms:.0f} ms")
        return None

    def refusal(self, in_progress: int) -> str | None:
        """None to admit a call now that `in_progress` calls are running, else why not."""
        now = self._clock()
        settled = now - self._ceiling_moved >= self.limits.window_s
        reason = self.overloaded()
        if reason:
            if settled:  # one step per window: the readings of the last step still linger
                below = in_progress if self.ceiling is None else min(self.ceiling, in_progress)
                self.ceiling, self._ceiling_moved = max(1, below - 1), now
            return reason
        if self.ceiling is not None and in_progress >= self.ceiling:
            if not settled:
                return f"{in_progress} calls reach the {self.ceiling} this machine carried without overload"
            self.ceiling, self._ceiling_moved = self.ceiling + 1, now
        return None
