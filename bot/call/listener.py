"""The listening half of a call: endpointing, streaming recognition, barge-in, no-input, keys.

VAD runs inline (microseconds a frame); recognition runs in a worker process, fed from a
bounded queue so a slow recognizer never stalls the inbound audio. When the caller pauses
for `stt.speculate_after_ms` the worker starts the neural final pass on the turn so far,
so most of it is done by the time the end-of-speech silence has passed.

The listener tells its call what it heard through `Ears`; it never touches the call's state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.call.barge_in import BargeInPolicy
from bot.call.events import CallerInput, CallEvent, NoInputTimeout, StageFailed
from bot.call.keypad import KeypadCollector
from bot.call.services import CallServices
from bot.call.turn_timing import TurnTiming
from nlu.digits import spoken_digits
from nlu.engine import Digits, Text
from stt.audio import AudioFrame
from stt.recognizer_pool import PooledRecognizer
from stt.speculation import PauseGuess
from stt.vad import Endpointer, NoInput, SpeechEnded, SpeechStarted

log = logging.getLogger(__name__)

ASR_QUEUE_ITEMS = 1500  # 30 s of 20 ms frames: a recognizer this far behind has failed


class Ears(Protocol):
    """What the listener needs from its call."""

    def listening(self) -> bool:
        """The caller's turn (the no-input timer counts)."""

    def speaking(self) -> bool:
        """Bot speech is playing that the caller may talk over."""

    async def barge_in(self, why: str, partial: str) -> None:
        """The caller is taking the turn: stop speaking now."""

    def post(self, event: CallEvent) -> None:
        """Hand an event to the call's dialogue loop."""


@dataclass(frozen=True)
class _Audio:
    pcm: bytes


@dataclass(frozen=True)
class _TurnEnded:
    timing: TurnTiming
    use_guess: bool


@dataclass(frozen=True)
class _Speculate:
    expect: str


_AsrItem = _Audio | _TurnEnded | _Speculate


class CallListener:
    """Turns the caller's audio and keys into input, interruptions and no-input events."""

    def __init__(self, services: CallServices, ears: Ears, barge_in: BargeInPolicy) -> None:
        self.services = services
        self.ears = ears
        self.barge_in = barge_in
        self.no_inputs = 0
        self.recognizer: PooledRecognizer | None = None
        self.endpointer: Endpointer | None = None
        self._end_silence_ms = services.settings.stt.end_silence_ms
        self._asr: asyncio.Queue[_AsrItem] = asyncio.Queue(maxsize=ASR_QUEUE_ITEMS)
        self._failed = False
        self.expect = "text"  # what the dialogue asked for: text, digits or yes_no
        self._guess = PauseGuess(services.settings.stt.speculate_after_ms)
        self._neural_final = False  # a neural model writes finals: partials only for barge-in
        self._keypad = KeypadCollector(self._on_keys)

    async def open(self, sample_rate: int) -> None:
        """The endpointer, then the recognizer stream (which may fail: RecognizerError)."""
        stt = self.services.settings.stt
        self.endpointer = Endpointer(
            sample_rate=sample_rate, aggressiveness=stt.vad_aggressiveness,
            speech_start_ms=stt.speech_start_ms, end_silence_ms=self._end_silence_ms,
            max_utterance_s=stt.max_utterance_s, no_input_timeout_s=stt.no_input_timeout_s,
            preroll_ms=stt.preroll_ms, noise_gate_db=stt.noise_gate_db,
        )
        self.recognizer = await self.services.open_recognizer(sample_rate)
        self._neural_final = bool(self.services.recognizers.final_model)
        if not self._neural_final:
            self._guess = PauseGuess(0)  # pocketsphinx's own final needs no head start

    async def close(self) -> None:
        self._keypad.close()
        if self.recognizer is not None:
            try:
                await self.services.release_recognizer(self.recognizer)
            except Exception:
                log.debug("recognizer close failed", exc_info=True)
            self.recognizer = None

    def expect_next(self, expect: str, end_silence_ms: int) -> None:
        """What the dialogue asked for next (text, digits or yes_no) and the silence that
        ends such an answer."""
        self.expect = expect
        self._keypad.expect_number = expect == "digits"
        self._end_silence_ms = end_silence_ms
        if self.endpointer is not None:
            self.endpointer.set_end_silence(end_silence_ms)

    def reset_no_input(self) -> None:
        if self.endpointer is not None:
            self.endpointer.reset_no_input()

    async def on_key(self, key: str) -> None:
        await self._keypad.press(key)

    async def _on_keys(self, digits: str) -> None:
        self.no_inputs = 0
        self.ears.post(CallerInput(Digits(digits)))

    async def on_audio(self, frame: AudioFrame) -> None:
        endpointer = self.endpointer
        if endpointer is None or self.recognizer is None:
            return  # no recognizer for this call: the keypad and an agent still work
        for event in endpointer.process(frame):
            if isinstance(event, SpeechStarted):
                self.barge_in.reset()
                self._put(_Audio(event.audio))
            elif isinstance(event, SpeechEnded):
                timing = TurnTiming(end_silence_ms=self._end_silence_ms, clock=self.services.clock)
                timing.stamp("speech_end_detected")
                self._put(_TurnEnded(timing, self._guess.turn_ended(event.truncated)))
            elif isinstance(event, NoInput) and self.ears.listening():
                self.no_inputs += 1
                final = self.no_inputs > self.services.settings.calls.no_input_reprompts
                self.ears.post(NoInputTimeout(final=final))
        if endpointer.in_speech:
            self._put(_Audio(frame.pcm))
            if self._guess.on_speech(endpointer.silent_ms):
                self._put(_Speculate(self.expect))
            if self.ears.speaking() and self.barge_in.on_speech(endpointer.voiced_ms):
                await self.ears.barge_in("speech_duration", self.barge_in.partial)

    def _put(self, item: _AsrItem) -> None:
        try:
            self._asr.put_nowait(item)
        except asyncio.QueueFull:
            self._fail("recognizer fell 30 s behind real time")

    async def recognizer_loop(self) -> None:
        recognizer = self.recognizer
        if recognizer is None:
            return
        carried: _AsrItem | None = None  # taken while gathering audio, handled next
        try:
            while True:
                item = carried or await self._asr.get()
                carried = None
                if isinstance(item, _TurnEnded):
                    await self._final(recognizer, item.timing, item.use_guess)
                    continue
                if isinstance(item, _Speculate):
                    await recognizer.speculate(item.expect)
                    continue
                # Feed everything already queued in one hop to the worker.
                pcm = bytearray(item.pcm)
                while not self._asr.empty():
                    more = self._asr.get_nowait()
                    if not isinstance(more, _Audio):
                        carried = more
                        break
                    pcm += more.pcm
                if self._neural_final and not self.ears.speaking():
                    await recognizer.buffer(bytes(pcm))  # partials only serve barge-in
                    continue
                partial = await recognizer.accept(bytes(pcm))
                if partial and self.ears.speaking() and self.barge_in.on_partial(partial):
                    await self.ears.barge_in("words", self.barge_in.partial)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fail(repr(exc))

    async def _final(self, recognizer: PooledRecognizer, timing: TurnTiming, use_guess: bool) -> None:
        transcript = await recognizer.final(self.expect, use_guess)
        timing.stamp("final_transcript")
        delay_ms = timing.stages_ms()["final_transcript"]
        if delay_ms is not None:
            self.services.headroom.note_final_delay(delay_ms)
        text = transcript.text.strip()
        if self.expect == "digits":
            text = digits_only(text)
        if text:
            self.no_inputs = 0
            log.info("caller said: %s", text)
            self.ears.post(CallerInput(Text(text, self._other_readings(recognizer)), timing))
        else:
            self.reset_no_input()

    def _other_readings(self, recognizer: PooledRecognizer) -> Callable[[], Awaitable[list[str]]] | None:
        """How the dialogue asks for other readings of this turn if it cannot understand it
        (not for a dictated number: the digits are what they are)."""
        count = self.services.settings.stt.alternatives
        if not count or not self._neural_final or self.expect == "digits":
            return None
        return lambda: recognizer.alternatives(count)

    def _fail(self, detail: str) -> None:
        if not self._failed:
            self._failed = True
            self.services.metrics.stage_failures.labels("recognizer").inc()
            log.error("recognizer stage failed: %s", detail)
            self.ears.post(StageFailed("recognizer"))


DIGIT_FILLERS = {"it's", "it", "is", "my", "the", "number", "account", "uh", "um", "er", "that's",
                 "double", "triple", "and"}


def digits_only(text: str) -> str:
    """A turn that only dictates digits, as the digits ("Four, two, oh, 7." -> "4207");
    anything else as it was said ("I don't have it")."""
    digits = spoken_digits(text)
    words = [w.strip(".,!?;:-").lower() for w in text.split()]
    other = [w for w in words if w and w not in DIGIT_FILLERS and not spoken_digits(w) and not w.isdigit()]
    return digits if digits and not other else text
