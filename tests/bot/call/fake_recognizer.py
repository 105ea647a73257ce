"""Scripted recognition for call-core tests: the caller's words, revealed as their audio comes.

The fake caller says which words its next utterance holds (`expect_words`); the recognizer
returns them as partials, one word per `WORD_MS` of audio fed, and all of them as the final.
The endpointer in front of it is the real one, on real recorded speech.
"""

from __future__ import annotations

import asyncio

from stt.recognizer import Transcript

WORD_MS = 250


class FakeRecognizer:
    """`PooledRecognizer`'s surface for one call."""

    def __init__(self, sample_rate: int) -> None:
        self.bytes_per_word = sample_rate * 2 * WORD_MS // 1000
        self.words: list[str] = []
        self.fed = 0
        self.closed = False

    def expect_words(self, text: str) -> None:
        self.words = text.split()
        self.fed = 0

    def _partial(self) -> str:
        return " ".join(self.words[: self.fed // self.bytes_per_word])

    async def accept(self, pcm: bytes) -> str | None:
        self.fed += len(pcm)
        return self._partial() or None

    async def buffer(self, pcm: bytes) -> None:
        self.fed += len(pcm)

    async def speculate(self, context: str = "text") -> None:
        return None

    async def final(self, context: str = "text", use_guess: bool = False) -> Transcript:
        text = " ".join(self.words) if self.fed else ""
        self.words, self.fed = [], 0
        return Transcript(text=text, confidence=0.9 if text else 0.0)

    async def close(self) -> None:
        self.closed = True


class FakeRecognizers:
    """`RecognizerPool`'s surface: one `FakeRecognizer` per call; `fail_open` breaks it."""

    final_model = None

    def __init__(self) -> None:
        self.opened: list[FakeRecognizer] = []
        self.fail_open = False
        self.open_s = 0.0  # how long a worker takes to open a stream

    async def open(self, sample_rate: int) -> FakeRecognizer:
        await asyncio.sleep(self.open_s)
        if self.fail_open:
            raise RuntimeError("no recognizer worker")
        recognizer = FakeRecognizer(sample_rate)
        self.opened.append(recognizer)
        return recognizer
