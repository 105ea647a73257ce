"""What a call session uses, shared by every call in the process."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.call import prompts
from bot.call.handoff import HandoffDesk
from bot.call.records import CallRecords
from bot.channels.base import Channel
from bot.config import Settings
from bot.headroom import Headroom, HeadroomLimits
from bot.metrics import CallMetrics
from bot.recording.desk import RecordingDesk
from bot.telemetry import Telemetry
from escalation.redact import redact_slots
from escalation.services import EscalationServices
from nlu.engine import DialogueEngine
from stt.recognizer_pool import PooledRecognizer
from tts.player import Player

if TYPE_CHECKING:  # heavy to import, and only their types are needed here
    from stt.recognizer_pool import RecognizerPool
    from tts.service import SpeechService

log = logging.getLogger(__name__)

LATE_FRAME_MS = 40.0


@dataclass
class CallServices:
    settings: Settings
    metrics: CallMetrics
    records: CallRecords
    engine: DialogueEngine
    recognizers: RecognizerPool
    speech: SpeechService
    escalation: EscalationServices | None = None
    handoffs: HandoffDesk | None = None
    prompt_audio: dict[tuple[str, str], bytes] = field(default_factory=dict)
    headroom: Headroom = field(default_factory=lambda: Headroom(HeadroomLimits()))
    clock: Callable[[], float] = time.monotonic  # paces playback (tests run it virtual)
    telemetry: Telemetry = field(default_factory=Telemetry)  # call traces; off by default
    recordings: RecordingDesk = field(default_factory=RecordingDesk.off)

    def refusal(self, in_progress: int) -> tuple[str, str] | None:
        """Why a new call cannot be taken now: ("busy" | "overloaded", the detail for the
        log); None: take it."""
        calls = self.settings.calls
        if in_progress >= calls.max_concurrent_calls:
            return "busy", f"{in_progress} calls in progress reach calls.max_concurrent_calls"
        overloaded = self.headroom.refusal(in_progress) if calls.admission == "headroom" else None
        return ("overloaded", overloaded) if overloaded else None

    async def open_recognizer(self, sample_rate: int) -> PooledRecognizer:
        """A recognizer stream for one call, in a recognition worker process."""
        return await self.recognizers.open(sample_rate)

    async def release_recognizer(self, stream: PooledRecognizer) -> None:
        """Close a call's stream; its decoder goes back to the worker's warm set."""
        await stream.close()

    def new_player(self, channel: Channel, on_frame_sent: Callable[[], None]) -> Player:
        async def send(frame: bytes) -> None:
            on_frame_sent()
            await channel.send_audio(frame)

        return Player(send, channel.output_format, clock=self.clock)

    async def speech_stream(self, text: str, fmt: str) -> AsyncIterator[bytes]:
        """The speech for `text`; a fixed prompt falls back to its pre-rendered audio."""
        try:
            async for chunk in self.speech.stream(text, fmt):
                yield chunk
        except Exception:
            fallback = self.prompt_audio.get((text, fmt))
            if fallback is None:
                raise
            log.error("speech synthesis failed; playing the pre-rendered prompt", exc_info=True)
            self.metrics.stage_failures.labels("speech").inc()
            yield fallback

    async def prerender_prompts(self, formats: list[str]) -> None:
        """Render the session's own lines now, so they play even if synthesis breaks later."""
        for fmt in formats:
            for text in prompts.ALL:
                self.prompt_audio[(text, fmt)] = await self.speech.synthesize(text, fmt)

    async def save_ticket(self, call_id: str, caller: str, ticket: dict[str, Any]) -> None:
        """Persist a complaint ticket the dialogue created (never lost: logged if no store)."""
        record = {**ticket, "call_id": call_id, "caller": caller}
        if self.escalation is not None:
            await self.escalation.create_ticket(record)
        await self.records.event(call_id, "ticket", **redact_slots(record))


SERVICES = web.AppKey("services", CallServices)
