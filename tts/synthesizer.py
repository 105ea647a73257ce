"""What a synthesizer is: text in, PCM16 audio out, with its sample rate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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
    """How the voice sounds; part of every cache key."""

    voice: str = "en-us"
    rate_wpm: int = 175
    pitch: int = 50
    volume: float = 1.0


class Synthesizer(Protocol):
    """A speech synthesizer. `sample_rate=None` means the engine's native rate; a lower
    `priority` number is served first when requests queue up."""

    async def synthesize(
        self, text: str, sample_rate: int | None = None, priority: int = 0
    ) -> Audio: ...
