"""What a synthesizer is: text in, PCM16 audio out, with its sample rate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class TtsError(RuntimeError):
    """Speech could not be produced; the message is one line for the operator."""


@dataclass(frozen=True)
class Audio:
    """PCM16 little-endian mono audio and its sample rate."""

    pcm: bytes
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate if self.sample_rate else 0.0


@dataclass(frozen=True)
class VoiceParams:
    """How the voice sounds; part of every cache key (every field changes the audio)."""

    voice: str = "en-us"  # the engine's own voice name
    rate_wpm: int = 175  # pyttsx3's speaking rate
    pitch: int = 50
    volume: float = 1.0
    engine: str = "pyttsx3"
    speed: float = 1.0  # the other engines' speaking rate (> 1 is faster)
    level_dbfs: float = -20.0  # active-speech RMS every engine is levelled to

    @classmethod
    def from_settings(cls, tts: Any) -> VoiceParams:
        """The configured engine's voice and rate from a `TtsSettings`-like object."""
        engine = getattr(tts, "engine", "pyttsx3")
        if engine == "pyttsx3":
            voice, speed = tts.voice, 1.0
        else:
            voice, speed = getattr(tts, f"{engine}_voice"), float(getattr(tts, f"{engine}_speed"))
        return cls(voice, tts.rate_wpm, tts.pitch, tts.volume, engine, speed,
                   getattr(tts, "level_dbfs", -20.0))


class Synthesizer(Protocol):
    """A speech synthesizer. `sample_rate=None` means the engine's native rate; a lower
    `priority` number is served first when requests queue up."""

    async def synthesize(
        self, text: str, sample_rate: int | None = None, priority: int = 0
    ) -> Audio: ...
