"""The caller's audio for a turn: a synthetic voice or a WAV file, with background noise mixed in."""

from __future__ import annotations

import zlib
from pathlib import Path

from bot.caller.noise import mix_noise, speech_power
from bot.caller.voices import speak
from bot.voice_tests.scenario import Turn
from stt.audio import read_wav, to_rate

RATE = 8000
NOISE_LEAD_S = 0.3  # a noisy line is noisy before the caller starts talking, too


def with_noise(pcm: bytes, snr_db: float, seed: int) -> bytes:
    """`pcm` with pink background noise at `snr_db` below the speech's active power
    (`bot.caller.noise`), also over `NOISE_LEAD_S` of silence before and after it."""
    lead = bytes(int(NOISE_LEAD_S * RATE) * 2)
    return mix_noise(lead + pcm + lead, snr_db, speech_power(pcm, RATE), seed=seed)


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
