"""Per-frame audio mixing for supervisor monitoring: bounded sample buffers and clipped sums.

Every buffer holds PCM16 mono at one rate. A consumer takes exactly the samples of the frame
it is about to send (zero-padded when the other party said nothing yet), so each leg's audio
keeps the clock of the stream it rides on and never drifts into a growing backlog.
"""

from __future__ import annotations

import numpy as np


class SampleBuffer:
    """A FIFO of PCM16 samples that keeps only the newest `max_samples` (a stalled producer
    or consumer costs old audio, not memory or latency)."""

    def __init__(self, max_samples: int) -> None:
        self.max_samples = max_samples
        self._data = np.zeros(0, dtype=np.int16)

    def __len__(self) -> int:
        return int(self._data.size)

    def push(self, pcm: bytes) -> None:
        samples = np.frombuffer(pcm, dtype=np.int16)
        data = np.concatenate((self._data, samples)) if self._data.size else samples.copy()
        self._data = data[-self.max_samples:]

    def take(self, count: int) -> np.ndarray:
        """The oldest `count` samples (int16), zero-padded when fewer are buffered."""
        head, self._data = self._data[:count], self._data[count:]
        if head.size < count:
            head = np.concatenate((head, np.zeros(count - head.size, dtype=np.int16)))
        return head


def mix(pcm: bytes, others: list[np.ndarray]) -> bytes:
    """`pcm` plus each of `others` (same length, int16), summed in int32 and clipped."""
    if not others:
        return pcm
    total = np.frombuffer(pcm, dtype=np.int16).astype(np.int32)
    for other in others:
        total += other
    return np.clip(total, -32768, 32767).astype(np.int16).tobytes()


def samples_in(pcm: bytes) -> int:
    return len(pcm) // 2
