"""Fixtures for the speech tests: a real pyttsx3/espeak-ng speech service on a temp cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from stt.audio import mulaw_to_pcm16
from tts.cache import AudioCache
from tts.pool import PooledSynthesizer
from tts.service import SpeechService
from tts.synthesizer import VoiceParams


def make_service(cache_dir: Path | None, workers: int = 2, **kwargs) -> SpeechService:
    voice = VoiceParams()
    timeout = kwargs.pop("request_timeout_s", 10.0)
    return SpeechService(
        PooledSynthesizer(voice, workers=workers, request_timeout_s=timeout),
        AudioCache(cache_dir, 64), voice, **kwargs,
    )


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[SpeechService]:
    """A started speech service with two warm workers and a fresh cache directory."""
    svc = make_service(tmp_path / "cache")
    await svc.start()
    try:
        yield svc
    finally:
        await svc.close()


def samples(data: bytes, fmt: str) -> np.ndarray:
    """Audio of either output format as int16 samples."""
    pcm = mulaw_to_pcm16(data) if fmt == "mulaw8k" else data
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def rms(data: bytes, fmt: str) -> float:
    values = samples(data, fmt)
    return float(np.sqrt(np.mean(values**2))) if len(values) else 0.0
