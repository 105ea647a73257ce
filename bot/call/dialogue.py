"""The thinking half of a call: one event at a time to the dialogue engine, the reply said.

Caller input (words, keys, the call's start), no-input timeouts and stage failures arrive
as `CallEvent`s in one queue, so they are handled in the order they happened. The dialogue
changes the call's state only through the call's methods (`DialogueCall`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.call import prompts
from bot.call.events import CallerInput, CallEvent, NoInputTimeout, StageFailed
from bot.call.listener import CallListener
from bot.call.services import CallServices
from bot.call.state import CallState
from bot.call.turn_timing import TurnTiming
from bot.call.turns import CallTurns
from nlu.engine import TECHNICAL_ERROR, BotTurn, Event, Handoff, UserInput

log = logging.getLogger(__name__)

END_SILENCE_BY_EXPECT = {"yes_no": 350, "digits": 1200}
Handler = Callable[[UserInput], Awaitable[None]]


class DialogueCall(Protocol):
    """What the dialogue needs from its call (bot.call.session.CallSession)."""

    @property
    def state(self) -> CallState: ...

    @property
    def hold_input(self) -> Handler | None:
        """Where caller input goes instead while the caller is with the handoff desk."""

    def think(self) -> None: ...

    def listen(self) -> None: ...

    async def speak(self, texts: list[str]) -> bool: ...

    async def escalate(self, handoff: Handoff) -> None: ...

    async def end_politely(self, reason: str, line: str) -> None: ...

    async def hang_up(self, reason: str) -> None: ...


class CallDialogue:
    """Takes a call's events in order and carries out the dialogue's replies."""

    def __init__(self, call: DialogueCall, services: CallServices, turns: CallTurns,
                 listener: CallListener) -> None:
        self.call = call
        self.services = services
        self.turns = turns
        self._listener = listener
        self._events: asyncio.Queue[CallEvent] = asyncio.Queue()
        self.timing: TurnTiming | None = None  # the turn being answered, for its first audio
        self.apologised = False

    def on_frame_sent(self) -> None:
        if self.timing is not None and self.timing.first_audio_sent is None:
            self.timing.stamp("first_audio_sent")

    def post(self, event: CallEvent) -> None:
        self._events.put_nowait(event)

    async def next_input(self, timeout_s: float) -> UserInput | None:
        """The caller's next input, or None after `timeout_s`."""
        try:
            return await asyncio.wait_for(self._next_caller_input(), timeout_s)
        except asyncio.TimeoutError:
            return None

    async def _next_caller_input(self) -> UserInput:
        while True:
            event = await self._events.get()
            if isinstance(event, CallerInput):
                return event.said

    async def run(self) -> None:
        while True:
            event = await self._events.get()
            if self.call.state in (CallState.ENDING, CallState.ENDED):
                continue  # saying goodbye: nothing the caller says changes that now
            if isinstance(event, StageFailed):
                await self._apologise()
            elif isinstance(event, NoInputTimeout) and event.final:
                await self.call.end_politely("no_input", prompts.NO_INPUT_GOODBYE)
            elif isinstance(event, NoInputTimeout):
                await self._caller_turn(Event("no_input"), None)
            else:
                await self._caller_turn(event.said, event.timing)

    async def _caller_turn(self, said: UserInput, timing: TurnTiming | None) -> None:
        handler = self.call.hold_input
        if handler is not None:  # queued or bridged: the handoff desk answers
            await handler(said)
            return
        if self.call.state in (CallState.HOLDING, CallState.BRIDGED):
            return
        self.call.think()
        if await self.services.recordings.of(self.turns.call_id).declined_by(said, self.call.speak):
            self.call.listen()
            return
        turn = await self._ask_engine(said)
        if timing is not None:
            timing.stamp("dialogue_reply")
        await self._apply(said, turn, timing)
        if self.call.state is CallState.THINKING:
            self.call.listen()

    async def _ask_engine(self, said: UserInput) -> BotTurn:
        timeout = self.services.settings.nlu.turn_timeout_s + 1.0
        try:
            turn = await asyncio.wait_for(self.services.engine.handle(self.turns.call_id, said), timeout)
        except Exception as exc:
            self.services.metrics.stage_failures.labels("dialogue").inc()
            log.error("dialogue stage failed: %r", exc)
            return apology_turn()
        if turn.handoff is not None and turn.handoff.reason == TECHNICAL_ERROR and not turn.texts:
            return apology_turn()  # the engine gave up on this turn; the apology is ours to say
        return turn

    async def _apologise(self) -> None:
        """A stage broke before the caller reached a person: the apology, and a person."""
        if self.turns.handoff is not None or self.apologised:
            return  # already with the desk, which never leaves the caller in silence
        if self.call.state in (CallState.GREETING, CallState.LISTENING):
            self.call.think()
        await self._apply(None, apology_turn(), None)

    async def _apply(self, said: UserInput | None, turn: BotTurn, timing: TurnTiming | None) -> None:
        await self.turns.understood(said, turn)
        self._listener.expect_next(
            turn.expect, END_SILENCE_BY_EXPECT.get(turn.expect, self.services.settings.stt.end_silence_ms))
        self.timing = timing
        await self.services.recordings.of(self.turns.call_id).before_reply(turn, self.call.speak)
        if turn.texts:
            self.apologised = self.apologised or prompts.APOLOGY in turn.texts
            await self.call.speak(turn.texts)
        await self.turns.record(said, turn, timing)
        if turn.handoff is not None and self.turns.handoff is None:
            await self.call.escalate(turn.handoff)
        elif turn.end_call:
            await self.call.hang_up("goodbye")


def apology_turn() -> BotTurn:
    """The one apology (bot/call/prompts.py), and a person."""
    return BotTurn(texts=[prompts.APOLOGY], handoff=Handoff(TECHNICAL_ERROR, "normal"))
