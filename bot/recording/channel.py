"""The channel as the call sees it, with what it sends copied to the recording."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.channels.base import Channel
from stt.audio import Resampler, mulaw_to_pcm16

if TYPE_CHECKING:
    from bot.recording.call import CallRecording


class RecordingChannel:
    """Forwards everything to `inner`; audio that was sent and `clear` go to the recording."""

    def __init__(self, inner: Channel, recording: CallRecording) -> None:
        self.inner = inner
        self.recording = recording
        out_rate = 16000 if inner.output_format == "pcm16k" else 8000
        self._to_clock = Resampler(out_rate, inner.input_rate)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def output_format(self) -> Any:
        return self.inner.output_format

    @property
    def input_rate(self) -> int:
        return self.inner.input_rate

    def __getattr__(self, name: str) -> Any:  # anything else a channel offers, unchanged
        return getattr(self.inner, name)

    async def send_audio(self, chunk: bytes) -> None:
        await self.inner.send_audio(chunk)
        pcm = mulaw_to_pcm16(chunk) if self.inner.output_format == "mulaw8k" else chunk
        if pcm:
            self.recording.sent(self._to_clock.process(pcm))

    async def clear(self) -> None:
        await self.inner.clear()
        self.recording.cleared()

    async def transfer(self, target: str) -> bool:
        done = await self.inner.transfer(target)
        if done:
            self.recording.person_joined()
        return done

    async def hangup(self) -> None:
        await self.inner.hangup()
