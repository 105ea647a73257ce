"""One call's recording: the frames the channel receives and sends, consent, PCI pauses.

Created by `RecordingDesk.start` before the session, fed by the channel (`RecordingChannel`
for what is sent, `tap` for what arrives), told about the dialogue's turns (`before_reply`,
`declined_by`) and finished by the runner when the call is over. The audio is written in
blocks on the desk's writer thread, never on the event loop; `finish` waits for the last.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.channels.base import AudioIn, CallContext, Channel, DtmfIn, InboundEvent, Put
from bot.recording.channel import RecordingChannel
from bot.recording.consent import declines
from bot.recording.files import FlacSink
from bot.recording.timeline import StereoTimeline
from escalation.redact import redact
from nlu.engine import BotTurn, UserInput

if TYPE_CHECKING:
    from bot.recording.desk import RecordingDesk

log = logging.getLogger(__name__)

Speak = Callable[[list[str]], Awaitable[bool]]
SPEECH_RMS = 400.0  # caller frames louder than this count as speech (for the turns' seek marks)
KEY_TONE_S = 0.3  # a keypad tone can precede its event by this much: silenced too


def says_sensitive(texts: list[str], secrets: list[str]) -> bool:
    """A reply that reads back a sensitive slot's number, or says what the transcript redacts."""
    said = re.sub(r"\D", "", " ".join(texts))
    numbers = [re.sub(r"\D", "", value) for value in secrets]
    return (any(len(n) >= 4 and n in said for n in numbers)
            or any(redact(text) != text for text in texts))


class CallRecording:
    """Records one call in two channels; kept or discarded when it ends."""

    def __init__(self, desk: RecordingDesk, context: CallContext, channel: Channel) -> None:
        self.desk = desk
        self.settings = desk.settings
        self.context = context
        self.name = desk.file_name(context.call_id)
        self.rate = channel.input_rate
        self.channel = RecordingChannel(channel, self)
        self.timeline = StereoTimeline(self.rate)
        self.started_at = time.time()
        self.declined = False
        self._announced = False
        self._person = False
        self._keypad_until = 0
        self._quiet_samples = 0
        self._speech_start = 0
        self._marks: list[dict[str, float]] = []
        self._sink: FlacSink | None = None
        self._last: Future[Any] | None = None
        self._failed = False  # written on the writer thread only
        if self.settings.consent_announcement:
            self.timeline.pause("consent")  # recording starts once the caller has been told

    # ---- what the channel carries ------------------------------------------------------
    def tap(self, put: Put) -> Put:
        """`put` for the channel's reader, copying the caller's audio and keys on the way."""

        async def tapped(event: InboundEvent) -> None:
            if isinstance(event, AudioIn) and not self.declined:
                self._caller(event.frame.pcm)
            elif isinstance(event, DtmfIn) and not self.declined:
                self.timeline.pause("keypad", back_s=KEY_TONE_S)
                self._keypad_until = self.timeline.clock + int(self.settings.keypad_pause_s * self.rate)
            await put(event)

        return tapped

    def _caller(self, pcm: bytes) -> None:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
        loud = samples.size > 0 and float(np.sqrt(np.mean(samples * samples))) > SPEECH_RMS
        if loud and self._quiet_samples >= self.rate * 0.3:
            self._speech_start = self.timeline.clock
        self._quiet_samples = 0 if loud else self._quiet_samples + samples.size
        self.timeline.caller(pcm)
        if self.timeline.active("keypad") and self.timeline.clock >= self._keypad_until:
            self.timeline.resume("keypad")
        self._write(final=False)

    def sent(self, pcm: bytes) -> None:
        """Audio that went to the caller (bot speech, hold audio, the agent's voice)."""
        if pcm and not self.declined:
            self.timeline.bot(pcm)

    def cleared(self) -> None:
        self.timeline.cut_bot()

    def person_joined(self) -> None:
        """An agent took the call, or it was transferred to a person."""
        self._person = True

    # ---- what the dialogue does --------------------------------------------------------
    async def before_reply(self, turn: BotTurn, speak: Speak) -> None:
        """Before a reply is said: the consent announcement (once), and pause or resume for
        PCI: a slot the domain marks sensitive is being asked for, or the reply reads back
        its number."""
        if self.declined:
            return
        self._marks.append({"at_s": self._seconds(self.timeline.clock),
                            "caller_s": self._seconds(self._speech_start)})
        if not self._announced:
            self._announced = True
            if self.settings.consent_announcement:
                await speak([self.settings.consent_announcement])
                self.timeline.resume("consent")
        secrets = [str(turn.slots[name]) for name in self.desk.sensitive_slots if turn.slots.get(name)]
        sensitive = turn.requested_slot in self.desk.sensitive_slots or says_sensitive(turn.texts, secrets)
        if sensitive:
            self.timeline.pause("sensitive")
        else:
            self.timeline.resume("sensitive")

    async def declined_by(self, said: UserInput | None, speak: Speak) -> bool:
        """True (and the recording so far discarded) when the caller's turn declines it."""
        if self.declined or not declines(self.settings, said):
            return False
        self.declined = True
        self._submit(self._discard_on_thread)
        log.info("the caller declined recording: discarded")
        await speak([self.settings.consent_declined_reply])
        return True

    # ---- writing ---------------------------------------------------------------------
    def _seconds(self, samples: int) -> float:
        return round(samples / self.rate, 3)

    def _write(self, final: bool) -> None:
        block = self.timeline.take(final)
        if block is not None:
            self._submit(self._write_on_thread, block)

    def _submit(self, fn: Callable[..., None], *args: Any) -> None:
        self._last = self.desk.writer.submit(self._guarded, fn, *args)

    def _guarded(self, fn: Callable[..., None], *args: Any) -> None:
        if self._failed:
            return
        try:
            fn(*args)
        except Exception:  # a full disk must not break the call; the recording is lost, said once
            log.exception("recording of this call failed; it is not kept")
            self._failed = True
            if self._sink is not None:
                with contextlib.suppress(Exception):
                    self._sink.discard()
            self._sink = None

    def _write_on_thread(self, block: np.ndarray) -> None:
        if self._sink is None:
            self._sink = FlacSink(self.desk.directory, self.name, self.rate, self.settings.encryption_key)
        self._sink.write(block)

    def _discard_on_thread(self) -> None:
        if self._sink is not None:
            self._sink.discard()
            self._sink = None

    def _keep_on_thread(self, metadata: dict[str, Any]) -> None:
        if self._sink is not None:
            self._sink.keep(metadata)
            self._sink = None

    async def finish(self, outcome: str) -> bool:
        """The call is over: write the tail and keep the recording (or discard it: declined,
        consent never completed, or `escalated` mode and no person reached). True if kept."""
        keep = not self.declined and not self.timeline.active("consent")
        if self.settings.mode == "escalated" and not self._person:
            keep = False
        if keep:
            self._write(final=True)
            self._submit(self._keep_on_thread, self._metadata(outcome))
        else:
            self._submit(self._discard_on_thread)
        if self._last is not None:
            await asyncio.wrap_future(self._last)
        return keep

    def _metadata(self, outcome: str) -> dict[str, Any]:
        return {"call_id": self.context.call_id, "channel": self.context.channel,
                "caller": self.context.caller, "started_at": self.started_at,
                "duration_s": self._seconds(self.timeline.end), "sample_rate": self.rate,
                "channels": ["caller", "bot and agent"], "paused": self.timeline.pause_list(),
                "turns": self._marks, "reached_person": self._person, "outcome": outcome}


class NoRecording:
    """A call that is not recorded (mode off): every hook does nothing."""

    def __init__(self, channel: Channel | None) -> None:
        self.channel = channel

    def tap(self, put: Put) -> Put:
        return put

    def person_joined(self) -> None:
        pass

    async def before_reply(self, turn: BotTurn, speak: Speak) -> None:
        pass

    async def declined_by(self, said: UserInput | None, speak: Speak) -> bool:
        return False

    async def finish(self, outcome: str) -> bool:
        return False
