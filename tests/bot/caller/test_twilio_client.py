"""The test caller measures from the end of its speech, not the end of its audio file."""

from __future__ import annotations

import numpy as np

from bot.caller.twilio_client import rms, trailing_silence_s
from bot.caller.voices import speak


def tone(seconds: float, rate: int = 8000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (3000 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()


def test_trailing_silence_is_measured() -> None:
    audio = tone(0.5) + b"\x00\x00" * 1600  # 0.2 s of silence
    assert abs(trailing_silence_s(audio) - 0.2) < 0.011
    assert trailing_silence_s(tone(0.5)) < 0.011
    assert trailing_silence_s(b"\x00\x00" * 800) == 0.1


def test_synthetic_caller_speech_is_real_audio_with_a_short_tail() -> None:
    audio = speak("what exchange rate do you use", "rms")
    assert 1.0 < len(audio) / 16000 < 4.0
    assert rms(audio) > 500
    assert 0.0 < trailing_silence_s(audio) < 0.5
