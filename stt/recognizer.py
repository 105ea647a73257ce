"""The recognizer interface: one streaming session per call, blocking calls (run them off
the event loop, e.g. through `stt.streaming.StreamingRecognizer`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Word:
    word: str
    start_s: float  # from the start of the utterance
    end_s: float
    confidence: float  # 0..1


@dataclass
class Transcript:
    text: str
    confidence: float  # 0..1, the mean word confidence (0 for no words)
    words: list[Word] = field(default_factory=list)


class Recognizer(Protocol):
    """A streaming recognition session (one per call; not thread-safe)."""

    sample_rate: int

    def accept(self, pcm: bytes) -> str | None:
        """Feed PCM16 at `sample_rate`; return the new partial text when it changed."""
        ...

    def final(self) -> Transcript:
        """End the utterance, return its transcript, and get ready for the next one."""
        ...

    def reset(self) -> None:
        """Drop the current utterance without a result."""
        ...

    def new_caller(self) -> None:
        """Drop the current utterance and what was learnt about the caller (before a new call)."""
        ...


class RecognizerError(RuntimeError):
    """A recognizer backend cannot be loaded or used (one line, for the operator)."""


def mean_confidence(words: list[Word]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0
