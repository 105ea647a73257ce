"""Background noise for synthetic calls at a signal-to-noise ratio, with one SNR definition.

SNR is the speech's active power over the noise's power, in dB: the speech's power is the
mean power of its speech regions (`speech_bounds`, from frame energy), so pauses and leading
or trailing silence do not lower it. The noise is pink (power falling as 1/f) from 100 Hz up
and empty below, like room noise on a telephone line, and reproducible from its seed. The
benchmarks (`voicebot bench stt`, `bench vad`) and the voice scenarios' `noise_db` use it.
"""

from __future__ import annotations

import math

import numpy as np


def speech_bounds(
    pcm: bytes, rate: int, frame_ms: int = 10, floor_db: float = 30.0
) -> list[tuple[float, float]]:
    """Speech regions of a clean recording from frame energy: [(start_s, end_s), ...].

    A frame is speech when its level is within 35 dB of the loudest frame and above
    `floor_db` (pass the level of added noise: speech under the noise is not audible).
    Used as the truth for the endpointer.
    """
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    n = rate * frame_ms // 1000
    frames = x[: len(x) // n * n].reshape(-1, n)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1.0)
    active = db > max(db.max() - 35.0, floor_db)
    regions, start = [], None
    for i, a in enumerate(active):
        if a and start is None:
            start = i
        elif not a and start is not None:
            regions.append((start * frame_ms / 1000, i * frame_ms / 1000))
            start = None
    if start is not None:
        regions.append((start * frame_ms / 1000, len(active) * frame_ms / 1000))
    merged: list[tuple[float, float]] = []
    for region in regions:  # join regions less than 50 ms apart (a stop closure)
        if merged and region[0] - merged[-1][1] < 0.05:
            merged[-1] = (merged[-1][0], region[1])
        else:
            merged.append(region)
    # Blips under 40 ms (clicks, lip smacks) are not speech.
    return [r for r in merged if r[1] - r[0] >= 0.04 - 1e-9]


def longest_pause(regions: list[tuple[float, float]]) -> float:
    """The longest gap between speech regions (0 for one region)."""
    return max((b[0] - a[1] for a, b in zip(regions, regions[1:])), default=0.0)


def level_db(power: float) -> float:
    """A mean power as the dB level speech_bounds compares with."""
    return 10 * math.log10(power + 1.0)


def speech_power(pcm: bytes, rate: int) -> float:
    """Mean power of the active (speech) frames."""
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    parts = [x[int(s * rate) : int(e * rate)] for s, e in speech_bounds(pcm, rate)]
    active = np.concatenate(parts) if parts else x
    return float(np.mean(active**2)) if len(active) else 0.0


def noise(n: int, seed: int, kind: str = "pink", rate: int = 8000) -> np.ndarray:
    """Unit-power noise: "white", or "pink" (1/f from 100 Hz up, like room noise on a line)."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(n)
    if kind == "white":
        return white
    spectrum = np.fft.rfft(white)
    hz = np.fft.rfftfreq(n, 1.0 / rate)
    # A telephone line carries nothing below ~100 Hz, so neither does its noise.
    shaped = np.where(hz >= 100.0, spectrum / np.sqrt(np.maximum(hz, 100.0)), 0.0)
    pink = np.fft.irfft(shaped, n)
    return pink / np.sqrt(np.mean(pink**2))


def mix_noise(pcm: bytes, snr_db: float, ref_power: float, seed: int = 0, kind: str = "pink") -> bytes:
    """Add noise whose power is `snr_db` below `ref_power` (the speech's active power,
    `speech_power` of the clean speech)."""
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    scale = np.sqrt(ref_power / (10 ** (snr_db / 10)))
    y = x + scale * noise(len(x), seed, kind)
    return np.clip(np.round(y), -32768, 32767).astype("<i2").tobytes()
