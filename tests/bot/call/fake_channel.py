"""An in-memory phone line for call-core tests: a scripted caller on the virtual clock.

The caller's audio is real recorded speech (for the real endpointer) or quiet line noise,
sent at real-time pace by the loop's (virtual) clock; what the bot sends back is kept, and
`heard(line)` says whether a line's audio reached the caller (see fake_speech.py).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np

from bot.channels.base import AudioIn, ChannelClosed, DtmfIn, HangupIn, InboundEvent
from stt.audio import AudioFrame, read_wav, to_rate

from .fake_recognizer import FakeRecognizers
from .fake_speech import marker

SPEECH_WAV = Path(__file__).resolve().parents[3] / "nlu/tests/voice/audio/close_my_account.wav"
RATE = 8000
FRAME = RATE * 2 // 50  # 20 ms of PCM16
BATCH = 5  # frames sent together: 100 ms, as a jittery network would


@functools.lru_cache(maxsize=1)
def _speech() -> bytes:
    """About 1.8 s of a real caller's voice at 8 kHz (the recording without its silences)."""
    pcm, rate = read_wav(SPEECH_WAV)
    voice = to_rate(pcm, rate, RATE)
    return voice[int(0.15 * RATE) * 2: int(2.0 * RATE) * 2]


@functools.lru_cache(maxsize=1)
def _noise() -> bytes:
    """A second of quiet line noise (the endpointer learns its noise floor from it)."""
    return np.random.default_rng(7).normal(0, 30, RATE).astype("<i2").tobytes()


class FakeChannel:
    """The `Channel` the session talks to, and the caller at the far end."""

    name = "fake"
    output_format = "mulaw8k"
    input_rate = RATE

    def __init__(self) -> None:
        self._put: Callable[[InboundEvent], Awaitable[None]] | None = None
        self.sent = bytearray()
        self.clears = 0
        self.closed = False
        self.hung_up_by_bot = False
        self.transfers: list[str] = []
        self.transfer_result: bool | Exception = False  # this channel cannot transfer
        self.recognizers: FakeRecognizers | None = None
        self._mouth = bytearray()  # what the caller is saying, not yet sent
        self._noise_at = 0

    # ---- the bot's side (the Channel protocol) ----------------------------------------
    async def send_audio(self, chunk: bytes) -> None:
        if self.closed:
            raise ChannelClosed("the caller hung up")
        self.sent += chunk

    async def clear(self) -> None:
        self.clears += 1

    async def mark(self, name: str) -> None:
        return None

    async def transfer(self, target: str) -> bool:
        self.transfers.append(target)
        if isinstance(self.transfer_result, Exception):
            raise self.transfer_result
        return self.transfer_result

    async def hangup(self) -> None:
        if not self.closed:
            self.closed = self.hung_up_by_bot = True

    # ---- the caller's side ------------------------------------------------------------
    def heard(self, line: str) -> bool:
        """Whether the start of `line` reached the caller."""
        return marker(line) in self.sent

    async def until_heard(self, line: str, timeout_s: float = 60.0) -> None:
        await self.until(lambda: self.heard(line), timeout_s, f"never heard {line!r}")

    async def until(self, ok: Callable[[], bool], timeout_s: float = 60.0, what: str = "condition") -> None:
        """Wait (virtual time) until `ok()` is true."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not ok():
            if loop.time() > deadline:
                raise AssertionError(f"{what} within {timeout_s} s")
            await asyncio.sleep(0.02)

    def say(self, words: str, seconds: float = 1.8) -> None:
        """Start saying `words` (recorded speech `seconds` long; the recognizer hears `words`)."""
        if self.recognizers is not None and self.recognizers.opened:
            self.recognizers.opened[-1].expect_words(words)
        speech = _speech()
        need = int(seconds * RATE) * 2
        self._mouth += (speech * (need // len(speech) + 1))[:need]

    @property
    def talking(self) -> bool:
        return bool(self._mouth)

    async def press(self, keys: str) -> None:
        assert self._put is not None
        for key in keys:
            await self._put(DtmfIn(key))

    async def hang_up(self) -> None:
        """The caller puts the phone down."""
        assert self._put is not None
        self.closed = True
        await self._put(HangupIn("caller_hangup"))

    async def pump(self, put: Callable[[InboundEvent], Awaitable[None]]) -> None:
        """The caller's line: 20 ms frames at real-time pace until either side hangs up."""
        self._put = put
        loop = asyncio.get_running_loop()
        start = loop.time()
        sent = 0
        while not self.closed:
            for _ in range(BATCH):
                await put(AudioIn(AudioFrame(self._next_frame(), RATE)))
            sent += BATCH
            await asyncio.sleep(max(0.0, start + sent * 0.02 - loop.time()))

    def _next_frame(self) -> bytes:
        if self._mouth:
            frame = bytes(self._mouth[:FRAME]).ljust(FRAME, b"\x00")
            del self._mouth[:FRAME]
            return frame
        noise = _noise()
        frame = noise[self._noise_at: self._noise_at + FRAME]
        self._noise_at = (self._noise_at + FRAME) % len(noise)
        return frame
