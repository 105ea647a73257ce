"""The call's voice: one paced player at a time, cut within a frame, and no failure unheard.

A play whose audio source breaks (synthesis failed mid-reply) or whose send fails for any
reason but the caller hanging up is reported to the call, which apologises and gets the
caller a person: a reply that cannot be said is never silence.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from bot.call.services import CallServices
from bot.channels.base import Channel
from tts.player import Player

log = logging.getLogger(__name__)


class CallSpeaker:
    """Speaks text and plays audio on one channel."""

    def __init__(self, services: CallServices, channel: Channel,
                 on_failure: Callable[[str], None], on_frame_sent: Callable[[], None]) -> None:
        self.services = services
        self.channel = channel
        self._on_failure = on_failure
        self._on_frame_sent = on_frame_sent
        self._player: Player | None = None
        self._interruptible = False

    @property
    def interruptible(self) -> bool:
        """Speech the caller may talk over is playing."""
        return self._player is not None and self._interruptible

    @property
    def playing(self) -> bool:
        return self._player is not None

    async def say(self, texts: list[str]) -> bool:
        """Say `texts`; True when played to the end, False when interrupted or failed."""
        return await self._play(self._speech(texts), interruptible=True)

    async def play(self, audio: bytes) -> bool:
        """Play pre-encoded audio in the channel's format (hold music); not interruptible by
        the caller's voice, only by `stop`."""

        async def chunks() -> AsyncIterator[bytes]:
            yield audio

        return await self._play(chunks(), interruptible=False)

    def stop(self) -> None:
        """Stop what is playing before its next frame."""
        if self._player is not None:
            self._player.cancel()
            self._player = None

    async def interrupt(self, call_id: str, why: str, partial: str) -> None:
        """The caller barged in: stop within a frame, and tell the far end to drop its buffer."""
        if not self.interruptible:
            return
        self.stop()
        self.services.metrics.barge_ins.inc()
        await self.channel.clear()
        await self.services.records.event(call_id, "barge_in", why=why, partial=partial)
        log.info("caller barged in (%s; heard so far: %r)", why, partial)

    async def _play(self, chunks: AsyncIterator[bytes], interruptible: bool) -> bool:
        player = self.services.new_player(self.channel, self._on_frame_sent)
        self._player, self._interruptible = player, interruptible
        metrics = self.services.metrics
        try:
            result = await player.play(chunks)
        finally:
            if self._player is player:
                self._player = None
        if result.late_frames:
            metrics.late_frames.inc(result.late_frames)
        metrics.frames_sent.inc(result.frames)
        self.services.headroom.note_playback(result.frames, result.late_frames)
        if result.failed:
            self._on_failure(result.error or "playback failed")
        return result.completed

    async def _speech(self, texts: list[str]) -> AsyncIterator[bytes]:
        for text in texts:
            async for chunk in self.services.speech_stream(text, self.channel.output_format):
                yield chunk
