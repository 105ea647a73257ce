"""One CallSession per call: listen -> think -> speak, barge-in, keypad, reprompts, hangup.

Three tasks run in the call's task group: the inbound loop (audio, keypad, marks, hangup),
the recognizer (partials and finals, off the event loop), and the dialogue (one turn at a
time). Ending the call cancels the group, so nothing outlives the call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import anyio

from bot import prompts
from bot.barge_in import BargeInPolicy
from bot.call_listener import CallListener
from bot.call_services import CallServices
from bot.channels.base import AudioIn, CallContext, Channel, DtmfIn, HangupIn, InboundEvent
from bot.keypad import KeypadCollector
from bot.log import call_id_var
from bot.turn_timing import TurnTiming
from escalation.redact import redact_slots
from nlu.engine import BotTurn, Digits, Event, Handoff, Text

log = logging.getLogger(__name__)

UserInput = Text | Digits | Event
END_SILENCE_BY_EXPECT = {"yes_no": 350, "digits": 1200}


class StageFailure:
    """Queued in place of caller input when a stage broke: apologise and hand off."""

    def __init__(self, stage: str) -> None:
        self.stage = stage


class CallSession:
    """A call from greeting to hangup; `run` returns when the call is over."""

    def __init__(self, context: CallContext, channel: Channel, services: CallServices) -> None:
        self.context = context
        self.call_id = context.call_id
        self.channel = channel
        self.services = services
        cfg = services.settings
        self.state = "greeting"
        self.end_reason = "caller_hangup"
        self.handoff: Handoff | None = None
        self.answered_turns = 0
        self.turn_index = 0
        self.last_intent: str | None = None
        self.last_confidence = 0.0
        self.slots: dict[str, Any] = {}
        self.transcript: list[dict[str, Any]] = []
        self.input_handler: Callable[[UserInput], Awaitable[None]] | None = None
        self.inbound: asyncio.Queue[InboundEvent] = asyncio.Queue(maxsize=500)
        self.started = time.time()
        self._dialogue: asyncio.Queue[tuple[UserInput | StageFailure, TurnTiming | None]] = asyncio.Queue()
        self._listener = CallListener(self, BargeInPolicy(cfg.calls.barge_in_min_speech_ms,
                                                          cfg.calls.barge_in_min_words))
        self._keypad = KeypadCollector(self._on_keys)
        self.player: Any = None
        self._turn_timing: TurnTiming | None = None
        self._done = asyncio.Event()
        self._tg: anyio.abc.TaskGroup | None = None
        self._hangup_callbacks: list[Callable[[], Awaitable[Any]]] = []
        self._failed = False
        self.agent_leg: Any = None  # bot.agent_bridge.SessionAgentLeg while an agent talks

    # ---- lifecycle -------------------------------------------------------------------
    async def run(self) -> None:
        """Run the call until hangup, goodbye, or the maximum call length."""
        call_id_var.set(self.call_id)
        svc = self.services
        svc.metrics.calls_started.labels(self.context.channel).inc()
        svc.metrics.active_calls.inc()
        await svc.records.call_started(self.call_id, self.context.channel, self.context.caller)
        log.info("call started on %s from %s", self.context.channel, self.context.caller or "unknown")
        if getattr(svc.engine, "ready", True) is False:  # logged at start-up; each call says so too
            log.warning("dialogue unavailable for this call (%s): apology and a human",
                        svc.engine.describe())
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                # Inbound first: a caller who hangs up while the call is still being set up
                # ends it at once instead of waiting for the recognizer to open.
                tg.start_soon(self._inbound_loop)
                tg.start_soon(self._begin)
                with anyio.move_on_after(svc.settings.calls.max_call_s):
                    await self._done.wait()
                if not self._done.is_set():
                    await self.speak([prompts.MAX_CALL_GOODBYE])
                    await self.channel.hangup()
                    self.finish("max_call_length")
                tg.cancel_scope.cancel()
        except Exception:
            log.exception("call failed outside any stage")
            self.end_reason = "internal_error"
        finally:
            self._keypad.close()
            with anyio.CancelScope(shield=True):
                await self._release()

    async def _begin(self) -> None:
        """Open the recognizer, then start listening and the dialogue (greeting first)."""
        first: UserInput | StageFailure = Event("call_start")
        try:
            await self._listener.open(self.channel.input_rate)
        except Exception as exc:  # no recognizer: apologise and get the caller a person
            self.services.metrics.stage_failures.labels("recognizer").inc()
            log.error("recognizer stage failed at call start: %s", exc)
            first = StageFailure("recognizer")
        assert self._tg is not None
        self._tg.start_soon(self._listener.recognizer_loop)
        self._tg.start_soon(self._dialogue_loop)
        self._dialogue.put_nowait((first, None))

    async def _release(self) -> None:
        svc = self.services
        held = self.state == "holding"
        self.state = "ended"
        outcome = self.outcome()
        if self.agent_leg is not None:
            await self.agent_leg.close()
        await self._listener.close()
        for callback in self._hangup_callbacks if held else []:
            try:
                await callback()
            except Exception:
                log.warning("hangup callback failed", exc_info=True)
        try:
            await svc.engine.end_call(self.call_id)
        except Exception:
            log.warning("dialogue engine failed to release the call's tracker", exc_info=True)
        await svc.records.call_ended(self.call_id, outcome, self.end_reason)
        svc.metrics.calls_ended.labels(self.context.channel, outcome).inc()
        svc.metrics.active_calls.dec()
        log.info("call ended: %s (%s)", outcome, self.end_reason)

    def outcome(self) -> str:
        if self.handoff is not None:
            return "escalated"
        if self.end_reason in ("goodbye", "no_input") or self.answered_turns > 0:
            return "contained"
        return "abandoned"

    async def end(self, reason: str) -> None:
        """End the call from our side, politely (server shutdown)."""
        self.stop_audio()
        await self.speak([prompts.SHUTDOWN_GOODBYE])
        await self.channel.hangup()
        self.finish(reason)

    def finish(self, reason: str) -> None:
        """Mark the call over; `run` then tears everything down."""
        if not self._done.is_set():
            self.end_reason = reason
            self._done.set()

    def on_hangup(self, callback: Callable[[], Awaitable[Any]]) -> None:
        """Run `callback` if the caller hangs up while holding for an agent."""
        self._hangup_callbacks.append(callback)

    def start_background(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` in the call's task group (cancelled when the call ends)."""
        assert self._tg is not None
        self._tg.start_soon(self._guard, coro)

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except Exception as exc:
            self.stage_failed("handoff", repr(exc))

    # ---- an agent on the line ---------------------------------------------------------
    def connect_agent(self, leg: Any) -> None:
        """An agent accepted the call: stop hold audio; from now on audio is bridged."""
        self.agent_leg = leg
        self.state = "bridged"
        self.stop_audio()

    def agent_dropped(self) -> None:
        """The agent's leg went away without an outcome: back to holding, hold audio resumes."""
        if self.agent_leg is not None:
            self.start_background(self.agent_leg.close())
        self.agent_leg = None
        if self.state == "bridged" and self.services.handoffs is not None:
            self.state = "holding"
            self.start_background(self.services.handoffs.hold(self))

    async def hand_back(self) -> None:
        """The agent hands the caller back to the bot."""
        if self.agent_leg is not None:
            await self.agent_leg.close()
        self.agent_leg = None
        self.input_handler = None
        self.state = "listening"
        await self.speak([prompts.HANDED_BACK])
        self._listener.reset_no_input()

    # ---- inbound ---------------------------------------------------------------------
    async def _inbound_loop(self) -> None:
        while True:
            event = await self.inbound.get()
            if isinstance(event, AudioIn):
                await self._listener.on_audio(event.frame)
            elif isinstance(event, DtmfIn):
                await self._keypad.press(event.digit)
            elif isinstance(event, HangupIn):
                self.finish(event.reason)
                return

    async def _on_keys(self, digits: str) -> None:
        self._listener.no_inputs = 0
        self._dialogue.put_nowait((Digits(digits), None))

    def user_said(self, text: str, timing: TurnTiming) -> None:
        """A final transcript from the listener."""
        self._dialogue.put_nowait((Text(text), timing))

    def no_input(self) -> None:
        """The caller said nothing for the no-input timeout."""
        if self._listener.no_inputs > self.services.settings.calls.no_input_reprompts:
            self.state = "ending"
            self._dialogue.put_nowait((Event("no_input_final"), None))  # type: ignore[arg-type]
        else:
            self._dialogue.put_nowait((Event("no_input"), None))

    async def next_input(self, timeout_s: float) -> UserInput | None:
        """The caller's next input, or None after `timeout_s` (for yes/no offers mid-handoff)."""
        try:
            user_input, _ = await asyncio.wait_for(self._dialogue.get(), timeout_s)
        except asyncio.TimeoutError:
            return None
        return None if isinstance(user_input, StageFailure) else user_input

    # ---- dialogue --------------------------------------------------------------------
    async def _dialogue_loop(self) -> None:
        while not self._done.is_set():
            user_input, timing = await self._dialogue.get()
            if isinstance(user_input, StageFailure):
                await self._apology(user_input.stage)
                continue
            if isinstance(user_input, Event) and user_input.name == "no_input_final":
                await self.speak([prompts.NO_INPUT_GOODBYE])
                await self.channel.hangup()
                self.finish("no_input")
                return
            if self.input_handler is not None:
                await self.input_handler(user_input)
                continue
            self.state = "thinking"
            turn = await self._ask_engine(user_input)
            if timing is not None:
                timing.stamp("dialogue_reply")
            await self._apply(user_input, turn, timing)
            if self.state in ("thinking", "speaking"):
                self.state = "listening"
                self._listener.reset_no_input()

    async def _ask_engine(self, user_input: UserInput) -> BotTurn:
        timeout = self.services.settings.nlu.turn_timeout_s + 1.0
        try:
            return await asyncio.wait_for(self.services.engine.handle(self.call_id, user_input), timeout)
        except Exception as exc:
            self.services.metrics.stage_failures.labels("dialogue").inc()
            log.error("dialogue stage failed: %r", exc)
            return apology_turn()

    async def _apology(self, stage: str) -> None:
        if self.handoff is not None or self._failed:
            return
        self._failed = True
        await self._apply(Event("stage_failure"), apology_turn(), None)  # type: ignore[arg-type]

    async def _apply(self, user_input: UserInput, turn: BotTurn, timing: TurnTiming | None) -> None:
        self.turn_index += 1
        said = _input_text(user_input)
        if isinstance(user_input, (Text, Digits)):
            self.transcript.append({"speaker": "caller", "text": said, "at": time.time()})
            if turn.intent:
                self.answered_turns += 1
        self.last_intent, self.last_confidence = turn.intent or self.last_intent, turn.confidence
        changed = {k: v for k, v in (turn.slots or {}).items() if v is not None and self.slots.get(k) != v}
        self.slots.update(changed)
        if changed:  # in the call record, so voice scenarios can check what the bot understood
            await self.services.records.event(self.call_id, "slots", **redact_slots(changed))
        if turn.ticket:
            await self.services.save_ticket(self, turn.ticket)
        self._keypad.expect_number = turn.expect == "digits"
        self._listener.expect = turn.expect
        self._listener.set_end_silence(
            END_SILENCE_BY_EXPECT.get(turn.expect, self.services.settings.stt.end_silence_ms))
        self._turn_timing = timing
        if turn.texts:
            self.transcript.append({"speaker": "bot", "text": " ".join(turn.texts), "at": time.time()})
            await self.speak(turn.texts)
        if timing is not None:
            self.services.metrics.observe_turn(timing.stages_ms(), timing.response_ms())
        handoff = {"reason": turn.handoff.reason, "priority": turn.handoff.priority} if turn.handoff else None
        await self.services.records.turn(
            self.call_id, self.turn_index, type(user_input).__name__.lower(), said, turn.intent,
            turn.confidence, turn.texts, handoff, timing.as_record() if timing else {})
        if turn.handoff is not None and self.handoff is None:
            await self._escalate(turn.handoff)
        elif turn.end_call:
            await self.channel.hangup()
            self.finish("goodbye")

    async def _escalate(self, handoff: Handoff) -> None:
        self.handoff = handoff
        self.state = "holding"
        self.services.metrics.escalations.labels(handoff.reason, handoff.priority).inc()
        await self.services.records.event(self.call_id, "handoff", reason=handoff.reason,
                                          priority=handoff.priority)
        log.info("handing off: %s (%s)", handoff.reason, handoff.priority)
        try:
            await self.services.hand_off(self, handoff)
        except Exception as exc:
            log.error("handoff failed: %r", exc)
            self.services.metrics.stage_failures.labels("handoff").inc()
            await self.speak([prompts.NO_AGENT_TRANSFER])
            await self.channel.hangup()
            self.finish("handoff_failed")

    # ---- speaking --------------------------------------------------------------------
    async def speak(self, texts: list[str]) -> bool:
        """Say `texts`; True when played to the end, False when interrupted or failed."""
        return await self._play(self._speech(texts))

    async def play_audio(self, audio: bytes) -> bool:
        """Play pre-encoded audio in the channel's format (hold music), interruptibly."""

        async def chunks() -> AsyncIterator[bytes]:
            yield audio

        return await self._play(chunks(), barge_in=False)

    async def _play(self, chunks: AsyncIterator[bytes], barge_in: bool = True) -> bool:
        previous = self.state
        if barge_in and self.state in ("thinking", "listening", "greeting"):
            self.state = "speaking"
        player = self.services.new_player(self.channel, self._on_frame_sent)
        self.player = player
        self._listener.barge_in_enabled = barge_in
        try:
            result = await player.play(chunks)
            if result.late_frames:
                self.services.metrics.late_frames.inc(result.late_frames)
            self.services.metrics.frames_sent.inc(result.frames)
            self.services.headroom.note_playback(result.frames, result.late_frames)
            return result.completed
        except Exception as exc:
            self.stage_failed("speech", repr(exc))
            return False
        finally:
            if self.player is player:
                self.player = None
            if self.state == "speaking":
                self.state = previous

    async def _speech(self, texts: list[str]) -> AsyncIterator[bytes]:
        for text in texts:
            async for chunk in self.services.speech_stream(text, self.channel.output_format):
                yield chunk

    def stop_audio(self) -> None:
        if self.player is not None:
            self.player.cancel()
            self.player = None

    def _on_frame_sent(self) -> None:
        if self._turn_timing is not None and self._turn_timing.first_audio_sent is None:
            self._turn_timing.stamp("first_audio_sent")

    def stage_failed(self, stage: str, detail: str) -> None:
        """A stage broke: log once with the call id, apologise and hand off (never silence)."""
        self.services.metrics.stage_failures.labels(stage).inc()
        log.error("%s stage failed: %s", stage, detail)
        if not self._done.is_set():
            self._dialogue.put_nowait((StageFailure(stage), None))


def apology_turn() -> BotTurn:
    return BotTurn(texts=[prompts.APOLOGY], intent=None, confidence=0.0, slots={},
                   handoff=Handoff("technical_error", "normal"), end_call=False, ticket=None)


def _input_text(user_input: UserInput) -> str:
    if isinstance(user_input, Text):
        return user_input.text
    if isinstance(user_input, Digits):
        return user_input.digits
    return f"[{user_input.name}]"
