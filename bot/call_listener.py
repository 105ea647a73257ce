"""The listening half of a call: endpointing, streaming recognition, barge-in, no-input.

VAD runs inline (microseconds a frame); recognition runs in a worker process, fed from a
bounded queue so a slow recognizer never stalls the inbound audio. When the caller pauses
for `stt.speculate_after_ms` the worker starts the neural final pass on the turn so far,
so most of it is done by the time the end-of-speech silence has passed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.barge_in import BargeInPolicy
from bot.turn_timing import TurnTiming
from nlu.digits import spoken_digits
from stt.audio import AudioFrame
from stt.vad import Endpointer, NoInput, SpeechEnded, SpeechStarted

if TYPE_CHECKING:
    from bot.call import CallSession

log = logging.getLogger(__name__)

ASR_QUEUE_ITEMS = 1500  # 30 s of 20 ms frames: a recognizer this far behind has failed


class CallListener:
    """Turns the caller's audio into transcripts, interruptions and no-input events."""

    def __init__(self, session: CallSession, barge_in: BargeInPolicy) -> None:
        self.session = session
        self.barge_in = barge_in
        self.barge_in_enabled = True
        self.no_inputs = 0
        self.recognizer = None
        self.endpointer: Endpointer | None = None
        self._end_silence_ms = session.services.settings.stt.end_silence_ms
        self._asr: asyncio.Queue[tuple[str, object]] = asyncio.Queue(maxsize=ASR_QUEUE_ITEMS)
        self._failed = False
        self.expect = "text"  # what the dialogue asked for: text, digits or yes_no
        self._speculate_after_ms = session.services.settings.stt.speculate_after_ms
        self._guessed = False  # the worker is decoding this pause's turn so far
        self._neural_final = False  # a neural model writes finals: partials only for barge-in

    async def open(self, sample_rate: int) -> None:
        """The endpointer, then the recognizer stream (which may fail: RecognizerError)."""
        stt = self.session.services.settings.stt
        self.endpointer = Endpointer(
            sample_rate=sample_rate, aggressiveness=stt.vad_aggressiveness,
            speech_start_ms=stt.speech_start_ms, end_silence_ms=self._end_silence_ms,
            max_utterance_s=stt.max_utterance_s, no_input_timeout_s=stt.no_input_timeout_s,
            preroll_ms=stt.preroll_ms, noise_gate_db=stt.noise_gate_db,
        )
        self.recognizer = await self.session.services.open_recognizer(sample_rate)
        self._neural_final = bool(self.session.services.recognizers.final_model)
        if not self._neural_final:
            self._speculate_after_ms = 0  # pocketsphinx's own final needs no head start

    async def close(self) -> None:
        if self.recognizer is not None:
            try:
                await self.session.services.release_recognizer(self.recognizer)
            except Exception:
                log.debug("recognizer close failed", exc_info=True)
            self.recognizer = None

    def set_end_silence(self, ms: int) -> None:
        self._end_silence_ms = ms
        if self.endpointer is not None:
            self.endpointer.set_end_silence(ms)

    def reset_no_input(self) -> None:
        if self.endpointer is not None:
            self.endpointer.reset_no_input()

    async def on_audio(self, frame: AudioFrame) -> None:
        if self.session.agent_leg is not None:
            self.session.agent_leg.caller_audio(frame.pcm)
            return
        endpointer = self.endpointer
        if endpointer is None or self.recognizer is None:
            return  # no recognizer for this call: the keypad and an agent still work
        for event in endpointer.process(frame):
            if isinstance(event, SpeechStarted):
                self.barge_in.reset()
                self._put("start", event.audio)
            elif isinstance(event, SpeechEnded):
                timing = TurnTiming(end_silence_ms=self._end_silence_ms)
                timing.stamp("speech_end_detected")
                self._put("end", (timing, self._guessed and not event.truncated))
                self._guessed = False
            elif isinstance(event, NoInput) and self.session.state == "listening":
                self.no_inputs += 1
                self.session.no_input()
        if endpointer.in_speech:
            self._put("audio", frame.pcm)
            self._maybe_speculate(endpointer.silent_ms)
            if self._speaking() and self.barge_in.on_speech(endpointer.voiced_ms):
                await self.interrupt("speech_duration")

    def _maybe_speculate(self, silent_ms: float) -> None:
        if not self._speculate_after_ms:
            return
        if silent_ms < self._speculate_after_ms:
            self._guessed = False  # still talking, or talking again: a new guess at the next pause
        elif not self._guessed:
            self._guessed = True
            self._put("speculate", self.expect)

    def _speaking(self) -> bool:
        return self.barge_in_enabled and self.session.player is not None

    def _put(self, kind: str, payload: object) -> None:
        try:
            self._asr.put_nowait((kind, payload))
        except asyncio.QueueFull:
            self._fail("recognizer fell 30 s behind real time")

    async def interrupt(self, why: str) -> None:
        """The caller is taking the turn: stop our audio now and tell the far end to drop its buffer."""
        session = self.session
        if session.player is None:
            return
        session.stop_audio()
        session.services.metrics.barge_ins.inc()
        await session.channel.clear()
        partial = self.barge_in.partial
        await session.services.records.event(session.call_id, "barge_in", why=why, partial=partial)
        log.info("caller barged in (%s; heard so far: %r)", why, partial)

    async def recognizer_loop(self) -> None:
        if self.recognizer is None:
            return
        try:
            while True:
                kind, payload = await self._asr.get()
                if kind == "end":
                    await self._final(*payload)  # type: ignore[misc]
                    continue
                if kind == "speculate":
                    await self.recognizer.speculate(payload)
                    continue
                # Feed everything already queued in one hop to the executor.
                pcm = bytearray(payload)  # type: ignore[arg-type]
                while not self._asr.empty() and self._peek_kind() == "audio":
                    pcm += self._asr.get_nowait()[1]  # type: ignore[operator]
                if self._neural_final and not self._speaking():
                    await self.recognizer.buffer(bytes(pcm))  # partials only serve barge-in
                    continue
                partial = await self.recognizer.accept(bytes(pcm))
                if partial and self._speaking() and self.barge_in.on_partial(partial):
                    await self.interrupt("words")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fail(repr(exc))

    def _peek_kind(self) -> str:
        return self._asr._queue[0][0]  # type: ignore[attr-defined]  # asyncio.Queue has no peek

    async def _final(self, timing: TurnTiming, use_guess: bool) -> None:
        transcript = await self.recognizer.final(self.expect, use_guess)
        timing.stamp("final_transcript")
        delay_ms = timing.stages_ms()["final_transcript"]
        if delay_ms is not None:
            self.session.services.headroom.note_final_delay(delay_ms)
        text = transcript.text.strip()
        if self.expect == "digits":
            text = digits_only(text)
        if text:
            self.no_inputs = 0
            log.info("caller said: %s", text)
            self.session.user_said(text, timing)
        else:
            self.reset_no_input()

    def _fail(self, detail: str) -> None:
        if not self._failed:
            self._failed = True
            self.session.stage_failed("recognizer", detail)


DIGIT_FILLERS = {"it's", "it", "is", "my", "the", "number", "account", "uh", "um", "er", "that's",
                 "double", "triple", "and"}


def digits_only(text: str) -> str:
    """A turn that only dictates digits, as the digits ("Four, two, oh, 7." -> "4207");
    anything else as it was said ("I don't have it")."""
    digits = spoken_digits(text)
    words = [w.strip(".,!?;:-").lower() for w in text.split()]
    other = [w for w in words if w and w not in DIGIT_FILLERS and not spoken_digits(w) and not w.isdigit()]
    return digits if digits and not other else text
