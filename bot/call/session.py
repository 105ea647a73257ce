"""One CallSession per call: listen -> think -> speak, barge-in, keypad, reprompts, hangup.

Three tasks run in the call's task group: the inbound loop (audio, keypad, hangup), the
recognizer (partials and finals, off the event loop), and the dialogue (one event at a
time). Ending the call cancels the group, so nothing outlives the call.

The session alone owns the call's state (`CallState`): its listener, dialogue, handoff desk
and agent bridge act on the call through its methods (`hold`, `bridge`, `hand_back`,
`end_politely`, ...), and a move the design does not allow raises `IllegalTransition`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

import anyio

from bot.call import prompts
from bot.call.barge_in import BargeInPolicy
from bot.call.bookkeeping import call_began, call_ended
from bot.call.dialogue import CallDialogue, Handler
from bot.call.events import CallerInput, CallEvent, StageFailed
from bot.call.listener import CallListener
from bot.call.services import CallServices
from bot.call.speaker import CallSpeaker
from bot.call.state import CallState
from bot.call.turns import CallTurns
from bot.channels.base import AudioIn, CallContext, Channel, DtmfIn, HangupIn, InboundEvent
from bot.log import call_id_var, trace_id_var
from escalation.bridge import AgentLeg
from escalation.models import HandoffContext
from nlu.engine import Event, Handoff, UserInput

log = logging.getLogger(__name__)


class CallerLeg(AgentLeg, Protocol):
    """An agent's leg as the session feeds it (bot.call.agent_bridge.SessionAgentLeg)."""

    closed: bool

    def caller_audio(self, pcm: bytes) -> None: ...


class CallSession:
    """A call from greeting to hangup; `run` returns when the call is over."""

    def __init__(self, context: CallContext, channel: Channel, services: CallServices) -> None:
        self.context = context
        self.call_id = context.call_id
        self.channel = channel
        self.services = services
        calls = services.settings.calls
        self._state = CallState.GREETING
        self.end_reason = "caller_hangup"
        self.inbound: asyncio.Queue[InboundEvent] = asyncio.Queue(maxsize=500)
        self._listener = CallListener(services, self, BargeInPolicy(calls.barge_in_min_speech_ms,
                                                                    calls.barge_in_min_words))
        self.trace = services.telemetry.start_call(self.call_id, context.channel, services.clock)
        self.turns = CallTurns(context, services, self.trace)
        self._dialogue = CallDialogue(self, services, self.turns, self._listener)
        self._speaker = CallSpeaker(services, channel, lambda why: self.stage_failed("speech", why),
                                    self._dialogue.on_frame_sent)
        self._done = asyncio.Event()
        self._tg: anyio.abc.TaskGroup | None = None
        self._hold_input: Handler | None = None  # the desk's, while the caller is queued
        self._on_leave: Callable[[str], Awaitable[None]] | None = None
        self._leg: CallerLeg | None = None
        self._left_holding = False  # the bot ended the call while the caller was queued

    # ---- state -----------------------------------------------------------------------
    @property
    def state(self) -> CallState:
        return self._state

    def _enter(self, new: CallState) -> None:
        if new is not self._state:
            self._state = self._state.to(new)

    def think(self) -> None:
        """A turn goes to the dialogue."""
        self._enter(CallState.THINKING)

    def listen(self) -> None:
        """The caller's turn: the no-input timer starts again."""
        self._enter(CallState.LISTENING)
        self._listener.reset_no_input()

    @property
    def holding(self) -> bool:
        return self._state is CallState.HOLDING

    @property
    def queued(self) -> bool:
        return self._on_leave is not None

    @property
    def hold_input(self) -> Handler | None:
        return self._hold_input

    @property
    def agent_leg(self) -> CallerLeg | None:
        return self._leg

    def listening(self) -> bool:
        return self._state is CallState.LISTENING

    def speaking(self) -> bool:
        return self._speaker.interruptible

    def handoff_context(self) -> HandoffContext:
        return self.turns.handoff_context()

    # ---- lifecycle -------------------------------------------------------------------
    async def run(self) -> None:
        """Run the call until hangup, goodbye, or the maximum call length."""
        call_id_var.set(self.call_id)
        trace_id_var.set(self.trace.trace_id)
        await call_began(self.context, self.services)
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                # Inbound first: a caller who hangs up while the call is still being set up
                # ends it at once instead of waiting for the recognizer to open.
                tg.start_soon(self._inbound_loop)
                tg.start_soon(self._begin)
                with anyio.move_on_after(self.services.settings.calls.max_call_s):
                    await self._done.wait()
                if not self._done.is_set():
                    await self.end_politely("max_call_length", prompts.MAX_CALL_GOODBYE)
                tg.cancel_scope.cancel()
        except Exception:
            log.exception("call failed outside any stage")
            self.end_reason = "internal_error"
        finally:
            with anyio.CancelScope(shield=True):
                await self._release()

    async def _begin(self) -> None:
        """Open the recognizer, then start listening and the dialogue (greeting first)."""
        first: CallEvent = CallerInput(Event("call_start"))
        try:
            await self._listener.open(self.channel.input_rate)
        except Exception as exc:  # no recognizer: apologise and get the caller a person
            self.services.metrics.stage_failures.labels("recognizer").inc()
            log.error("recognizer stage failed at call start: %s", exc)
            first = StageFailed("recognizer")
        assert self._tg is not None
        self._tg.start_soon(self._listener.recognizer_loop)
        self._tg.start_soon(self._dialogue.run)
        self.post(first)

    async def _release(self) -> None:
        held, on_leave = self.holding or self._left_holding, self._on_leave
        self._enter(CallState.ENDED)
        outcome = self.outcome()
        await self._drop_leg()
        await self._listener.close()
        if held and on_leave is not None:
            try:
                await on_leave(self.end_reason)
            except Exception:
                log.warning("hangup callback failed", exc_info=True)
        await call_ended(self.context, self.services, outcome, self.end_reason)
        self.trace.end(outcome, self.end_reason)

    def outcome(self) -> str:
        return self.turns.outcome(self.end_reason)

    async def end(self, reason: str) -> None:
        """End the call from our side, politely (server shutdown)."""
        await self.end_politely(reason, prompts.SHUTDOWN_GOODBYE)

    async def end_politely(self, reason: str, line: str) -> None:
        """Say `line` (a goodbye), hang up, and end the call as `reason`."""
        if self._state is CallState.ENDED:
            return
        self._left_holding = self._left_holding or self.holding
        self.stop_holding()
        await self._drop_leg()
        await self.speak([line])
        await self.hang_up(reason)

    async def hang_up(self, reason: str) -> None:
        """Hang up now and end the call as `reason`."""
        await self.channel.hangup()
        self.finish(reason)

    def finish(self, reason: str) -> None:
        """Mark the call over; `run` then tears everything down."""
        if not self._done.is_set():
            self.end_reason = reason
            self._done.set()

    def start_background(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` in the call's task group (cancelled when the call ends)."""
        assert self._tg is not None
        self._tg.start_soon(self._guard, coro)

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except Exception as exc:
            self.stage_failed("handoff", repr(exc))

    # ---- the handoff desk and the agent bridge -----------------------------------------
    async def escalate(self, handoff: Handoff) -> None:
        """The dialogue asks for a person: the handoff desk takes the call from here."""
        if self._state in (CallState.ENDING, CallState.ENDED):
            return
        self.turns.handoff = handoff
        self._enter(CallState.HOLDING)
        if self.services.handoffs is None:
            log.error("handoff failed: no handoff desk configured")
            await self.end_politely("handoff_failed", prompts.NO_AGENT_TRANSFER)
            return
        started = self.services.clock()
        await self.services.handoffs.take(self, handoff)
        self.trace.handoff(handoff.reason, handoff.priority, started)

    async def apologise(self) -> None:
        """The one apology, said once a call."""
        if not self._dialogue.apologised:
            self._dialogue.apologised = True
            await self.speak([prompts.APOLOGY])

    def hold(self, on_input: Handler, on_leave: Callable[[str], Awaitable[None]]) -> None:
        """The caller is queued: their input goes to `on_input`; `on_leave(end_reason)` runs
        if the call ends while they hold."""
        self._enter(CallState.HOLDING)
        self._hold_input, self._on_leave = on_input, on_leave

    def stop_holding(self) -> None:
        """On to a goodbye: hold audio stops, the caller's input is no longer the desk's."""
        self._enter(CallState.ENDING)
        self._hold_input = None
        self._speaker.stop()

    def bridge(self, leg: CallerLeg) -> None:
        """An agent accepted the call: stop hold audio; from now on audio is bridged."""
        self._enter(CallState.BRIDGED)
        self._leg = leg
        self.trace.event("agent_bridged")
        self.services.recordings.of(self.call_id).person_joined()
        self._speaker.stop()

    def agent_dropped(self) -> None:
        """The agent's leg went away without an outcome: an apology, then the queue's hold
        again (the call is back at the head of its queue)."""
        if self._state is not CallState.BRIDGED:
            return
        self._enter(CallState.HOLDING)
        self.start_background(self._hold_again())

    async def _hold_again(self) -> None:
        await self._drop_leg()
        await self.speak([prompts.APOLOGY])  # again, if need be: this is a new failure
        if self.holding and self.services.handoffs is not None:
            await self.services.handoffs.hold(self)

    async def hand_back(self) -> None:
        """The agent hands the caller back to the bot."""
        if self._state not in (CallState.HOLDING, CallState.BRIDGED):
            return
        self._enter(CallState.LISTENING)
        self.trace.event("handed_back")
        self._hold_input = self._on_leave = None
        self._speaker.stop()
        await self._drop_leg()
        await self.speak([prompts.HANDED_BACK])
        self._listener.reset_no_input()

    async def _drop_leg(self) -> None:
        leg, self._leg = self._leg, None
        if leg is not None:
            await leg.close()

    # ---- inbound ---------------------------------------------------------------------
    async def _inbound_loop(self) -> None:
        while True:
            event = await self.inbound.get()
            if isinstance(event, AudioIn):
                if self._leg is not None:
                    self._leg.caller_audio(event.frame.pcm)
                else:
                    await self._listener.on_audio(event.frame)
            elif isinstance(event, DtmfIn):
                await self._listener.on_key(event.digit)
            elif isinstance(event, HangupIn):
                self.finish(event.reason)
                return

    def post(self, event: CallEvent) -> None:
        """An event for the dialogue (ignored once the call is over)."""
        if not self._done.is_set():
            self._dialogue.post(event)

    async def next_input(self, timeout_s: float) -> UserInput | None:
        """The caller's next input, or None after `timeout_s` (for yes/no offers mid-handoff)."""
        return await self._dialogue.next_input(timeout_s)

    # ---- speaking --------------------------------------------------------------------
    async def speak(self, texts: list[str]) -> bool:
        """Say `texts`; True when played to the end, False when interrupted or failed."""
        previous = self._state
        if previous in (CallState.THINKING, CallState.LISTENING):
            self._enter(CallState.SPEAKING)
        try:
            return await self._speaker.say(texts)
        finally:
            if self._state is CallState.SPEAKING:
                self._enter(previous)

    async def play_audio(self, audio: bytes) -> bool:
        """Play pre-encoded audio in the channel's format (hold music)."""
        return await self._speaker.play(audio)

    async def barge_in(self, why: str, partial: str) -> None:
        """The caller is taking the turn: stop our audio now, tell the far end to drop its buffer."""
        await self._speaker.interrupt(self.call_id, why, partial)

    def stage_failed(self, stage: str, detail: str) -> None:
        """A stage broke: log once with the call id, apologise and hand off (never silence)."""
        self.services.metrics.stage_failures.labels(stage).inc()
        log.error("%s stage failed: %s", stage, detail)
        self.post(StageFailed(stage))
