"""Hold audio: a soft, slow chime pattern synthesized once per format (no files to ship)."""

from __future__ import annotations

import functools

import numpy as np

from stt.audio import pcm16_to_mulaw, resample

RATE = 16000
NOTES_HZ = (523.25, 659.25, 783.99, 659.25)  # C5 E5 G5 E5


@functools.lru_cache(maxsize=4)
def _pattern() -> np.ndarray:
    """Four gentle notes, 0.6 s each with a decay, then silence: 4 seconds in all."""
    note_s, total_s = 0.6, 4.0
    t = np.arange(int(note_s * RATE)) / RATE
    envelope = np.exp(-4.0 * t) * np.minimum(1.0, t / 0.01)
    notes = [0.12 * np.sin(2 * np.pi * f * t) * envelope for f in NOTES_HZ]
    tail = np.zeros(int((total_s - note_s * len(NOTES_HZ)) * RATE))
    return np.concatenate([*notes, tail])


@functools.lru_cache(maxsize=16)
def hold_music(fmt: str, seconds: float) -> bytes:
    """`seconds` of hold audio in an output format (mulaw8k, pcm8k or pcm16k)."""
    pattern = _pattern()
    repeats = int(np.ceil(seconds * RATE / len(pattern)))
    samples = np.tile(pattern, repeats)[: int(seconds * RATE)]
    pcm = (samples * 32767).astype("<i2").tobytes()
    if fmt == "pcm16k":
        return pcm
    pcm8k = resample(pcm, RATE, 8000)
    return pcm16_to_mulaw(pcm8k) if fmt == "mulaw8k" else pcm8k
