"""Scripted speech for call-core tests: how long each line takes, and when synthesis breaks.

Each line's audio starts with a marker naming it, so the fake channel can tell which lines
the caller actually heard (and which were cut); the rest is silence in the channel's format.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

from tts.formats import output_format

FRAME_MS = 20
FRAMES_PER_WORD = 2  # 40 ms a word: fast speech keeps the virtual calls short


class FakeSpeech:
    """`SpeechService`'s surface: `stream` and `synthesize`; `fail_on` lines break mid-way."""

    def __init__(self) -> None:
        self.fail_on: set[str] = set()
        self.broken = False  # every line fails (pre-rendered prompts still play)
        self.lines: list[str] = []

    def audio(self, text: str, fmt: str) -> bytes:
        """The audio of `text`: a marker frame, then silence, in whole frames."""
        spec = output_format(fmt)
        frame = spec.frame_bytes(FRAME_MS)
        mark = marker(text)
        first = mark + spec.silence * ((frame - len(mark)) // spec.sample_width)
        words = max(1, len(text.split()))
        return first + spec.silence * (frame // spec.sample_width) * (words * FRAMES_PER_WORD - 1)

    async def stream(self, text: str, fmt: str) -> AsyncIterator[bytes]:
        audio = self.audio(text, fmt)
        half = len(audio) // 2
        if self.broken:
            raise RuntimeError("speech worker died")
        yield audio[:half]
        if text in self.fail_on:
            raise RuntimeError(f"synthesis failed for {text!r}")
        yield audio[half:]

    async def synthesize(self, text: str, fmt: str) -> bytes:
        return self.audio(text, fmt)


def marker(text: str) -> bytes:
    """A byte pattern that names `text` in the audio (never produced by silence or music)."""
    return b"\x00\x01LINE" + str(zlib.crc32(text.encode())).encode() + b"\x01\x00"
