"""The caller's audio for a turn: a synthetic voice or a WAV file, with background noise mixed in."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from bot.caller.voices import speak
from bot.voice_tests.scenario import Turn
from stt.audio import read_wav, to_rate

RATE = 8000
NOISE_LEAD_S = 0.3  # a noisy line is noisy before the caller starts talking, too


def with_noise(pcm: bytes, snr_db: float, seed: int) -> bytes:
    """`pcm` with pink-ish background noise at `snr_db` below the speech level (reproducible)."""
    speech = np.frombuffer(pcm, "<i2").astype(np.float64)
    lead = np.zeros(int(NOISE_LEAD_S * RATE))
    signal = np.concatenate([lead, speech, lead])
    voiced = speech[np.abs(speech) > 0.02 * (np.abs(speech).max() or 1)]
    speech_power = float(np.mean(voiced**2)) if voiced.size else 0.0
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(signal.size)
    # 1/f shaping tilts white noise towards the low-frequency rumble of real lines.
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(white.size, 1 / RATE)
    noise = np.fft.irfft(spectrum / np.sqrt(np.maximum(freqs, 50.0)), n=white.size)
    noise -= noise.mean()
    noise_power = float(np.mean(noise**2)) or 1.0
    noise *= np.sqrt(speech_power / (10 ** (snr_db / 10)) / noise_power)
    mixed = np.clip(signal + noise, -32768, 32767).astype("<i2")
    return mixed.tobytes()


def _clean(turn: Turn) -> bytes:
    if turn.action == "say":
        return speak(turn.value, turn.voice, RATE)
    if turn.action == "wav":
        pcm, rate = read_wav(Path(turn.value))
        return to_rate(pcm, rate, RATE)
    return b""


def turn_audio(turn: Turn) -> bytes:
    """PCM16 8 kHz for a say or wav turn (empty for press and silence)."""
    pcm = _clean(turn)
    if pcm and turn.noise_db is not None:
        pcm = with_noise(pcm, turn.noise_db, seed=zlib.crc32(turn.value.encode()))
    return pcm
