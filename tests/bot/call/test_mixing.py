"""The supervisor mix: clipped sums, zero-padded takes, and buffers that drop old audio."""

from __future__ import annotations

import numpy as np

from bot.call.mixing import SampleBuffer, mix


def pcm(*samples: int) -> bytes:
    return np.array(samples, dtype=np.int16).tobytes()


def test_mix_sums_and_clips_instead_of_wrapping_around() -> None:
    out = np.frombuffer(mix(pcm(30000, -30000, 100), [np.array([10000, -10000, 50], np.int16)]), np.int16)
    assert out.tolist() == [32767, -32768, 150]
    assert mix(pcm(1, 2), []) == pcm(1, 2)


def test_a_buffer_pads_with_silence_and_keeps_only_the_newest_samples() -> None:
    buffer = SampleBuffer(max_samples=4)
    buffer.push(pcm(1, 2, 3))
    assert buffer.take(5).tolist() == [1, 2, 3, 0, 0]
    buffer.push(pcm(1, 2, 3, 4, 5, 6))
    assert len(buffer) == 4 and buffer.take(2).tolist() == [3, 4]
