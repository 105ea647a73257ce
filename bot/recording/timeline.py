"""Two tracks on the caller's audio clock: caller left, bot and agent right, pauses as silence.

The clock is the number of caller samples received: the channel delivers the caller's audio
as a continuous stream of frames (silence included), so sample N of the left track is the
moment the Nth sample arrived. What the call sends is laid on the right track at the clock's
position when it was sent (or just after the previous send, when sent ahead of time); when the
far end is told to drop what it buffered (a barge-in), the right track is cut back to the
clock. Samples are held back `holdback_s` before they are handed out, so a pause can start a
little in the past (a keypad tone precedes its event) and still be written as silence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Pause:
    """One stretch written as silence: samples [start, end), why."""

    start: int
    end: int | None = None
    reasons: set[str] = field(default_factory=set)


class StereoTimeline:
    """The pending samples of one recording and its pauses."""

    def __init__(self, rate: int, holdback_s: float = 0.5, block_s: float = 1.0) -> None:
        self.rate = rate
        self.holdback = int(rate * holdback_s)
        self.block = int(rate * block_s)
        self.base = 0  # sample index of the first sample not yet handed out
        self._left = bytearray()
        self._right = bytearray()
        self.pauses: list[Pause] = []
        self._active: set[str] = set()

    @property
    def clock(self) -> int:
        """Caller samples received so far."""
        return self.base + len(self._left) // 2

    @property
    def end(self) -> int:
        return self.base + max(len(self._left), len(self._right)) // 2

    def caller(self, pcm: bytes) -> None:
        self._left += pcm

    def bot(self, pcm: bytes) -> None:
        """Audio sent to the caller now."""
        gap = self.clock - (self.base + len(self._right) // 2)
        if gap > 0:
            self._right += bytes(2 * gap)
        self._right += pcm

    def cut_bot(self) -> None:
        """The far end dropped what it had not played yet: keep the right track up to now."""
        del self._right[2 * max(0, self.clock - self.base):]

    # ---- pauses ----------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return bool(self._active)

    def active(self, reason: str) -> bool:
        return reason in self._active

    def pause(self, reason: str, back_s: float = 0.0) -> None:
        """Write silence from now (or `back_s` earlier, within what is held back) for `reason`."""
        if reason in self._active:
            return
        if not self._active:
            start = max(self.base, self.clock - int(back_s * self.rate))
            self.pauses.append(Pause(start))
        self._active.add(reason)
        self.pauses[-1].reasons.add(reason)

    def resume(self, reason: str) -> None:
        self._active.discard(reason)
        if not self._active and self.pauses and self.pauses[-1].end is None:
            self.pauses[-1].end = max(self.clock, self.pauses[-1].start)

    # ---- handing out -----------------------------------------------------------------
    def take(self, final: bool = False) -> np.ndarray | None:
        """Interleaved int16 samples (n, 2) ready to write, or None while too few are ready."""
        upto = self.end if final else self.clock - self.holdback
        n = upto - self.base
        if n <= 0 or (not final and n < self.block):
            return None
        out = np.zeros((n, 2), dtype=np.int16)
        for column, track in enumerate((self._left, self._right)):
            have = min(n, len(track) // 2)
            out[:have, column] = np.frombuffer(bytes(track[: 2 * have]), dtype="<i2")
            del track[: 2 * have]
        for pause in self.pauses:
            start = max(pause.start, self.base) - self.base
            stop = (upto if pause.end is None else min(pause.end, upto)) - self.base
            if stop > start:
                out[start:stop] = 0
        self.base = upto
        return out

    def pause_list(self) -> list[dict]:
        """The pauses in seconds, for the recording's metadata (an open one ends at the end)."""
        end = self.end
        return [{"start_s": round(p.start / self.rate, 3),
                 "end_s": round((end if p.end is None else p.end) / self.rate, 3),
                 "reasons": sorted(p.reasons)} for p in self.pauses]
