"""What a call has learned, turn by turn: transcript, intent, slots, tickets, the handoff.

Kept apart from the session's control flow: this is what goes into the call record and,
on a handoff, into the agent's screen pop.
"""

from __future__ import annotations

import time
from typing import Any

from bot.call.services import CallServices
from bot.call.turn_timing import TurnTiming
from bot.channels.base import CallContext
from bot.telemetry import NO_TRACE, CallTrace
from escalation.context import build_context
from escalation.models import HandoffContext
from escalation.redact import redact_slots, redact_values
from nlu.engine import BotTurn, Digits, Handoff, Text, UserInput


class CallTurns:
    """The dialogue's side of one call, as recorded."""

    def __init__(self, context: CallContext, services: CallServices, trace: CallTrace = NO_TRACE) -> None:
        self.context = context
        self.trace = trace
        self._understood_at: float | None = None  # this turn's reply, for its span
        self.call_id = context.call_id
        self.services = services
        self.handoff: Handoff | None = None
        self.answered = 0
        self.index = 0
        self.last_intent: str | None = None
        self.last_confidence = 0.0
        self.slots: dict[str, Any] = {}
        self.transcript: list[dict[str, Any]] = []

    async def understood(self, said: UserInput | None, turn: BotTurn) -> None:
        """Note what the dialogue made of `said` (None: a failure, not the caller)."""
        call_id = self.call_id
        self.index += 1
        self._understood_at = self.services.clock()
        changed = {k: v for k, v in (turn.slots or {}).items() if v is not None and self.slots.get(k) != v}
        self.slots.update(changed)
        if isinstance(said, (Text, Digits)):
            text = self.private(turn.heard or input_text(said))
            self.transcript.append({"speaker": "caller", "text": text, "at": time.time()})
            if turn.intent:
                self.answered += 1
        self.last_intent, self.last_confidence = turn.intent or self.last_intent, turn.confidence
        if changed:  # in the call record, so voice scenarios can check what the bot understood
            await self.services.records.event(call_id, "slots", **redact_slots(changed))
        if turn.ticket:
            await self.services.save_ticket(call_id, self.context.caller, turn.ticket)
        if turn.texts:
            self.transcript.append({"speaker": "bot", "text": self.private(" ".join(turn.texts)),
                                    "at": time.time()})

    async def record(self, said: UserInput | None, turn: BotTurn, timing: TurnTiming | None) -> None:
        """The turn in the call record, with its latency stamps."""
        if timing is not None:
            self.services.metrics.observe_turn(timing.stages_ms(), timing.response_ms())
        if turn.heard:
            self.services.metrics.turns_read_again.inc()
        handoff = {"reason": turn.handoff.reason, "priority": turn.handoff.priority} if turn.handoff else None
        kind = "event" if said is None else type(said).__name__.lower()
        self.trace.turn(self.index, kind, turn.intent, timing, self._understood_at)
        await self.services.records.turn(
            self.context.call_id, self.index, kind, self.private(turn.heard or input_text(said)),
            turn.intent, turn.confidence, [self.private(t) for t in turn.texts], handoff,
            timing.as_record() if timing else {})

    def private(self, text: str) -> str:
        """`text` with the values of the slots the domain marks sensitive masked (an account
        number keyed or said, and the bot's read-back of it)."""
        sensitive = self.services.recordings.sensitive_slots
        return redact_values(text, [str(self.slots[n]) for n in sensitive if self.slots.get(n)])

    def outcome(self, end_reason: str) -> str:
        """escalated, contained (the bot helped, or said goodbye) or abandoned."""
        if self.handoff is not None:
            return "escalated"
        if end_reason in ("goodbye", "no_input") or self.answered > 0:
            return "contained"
        return "abandoned"

    def handoff_context(self) -> HandoffContext:
        """The handoff context (transcript, intent, slots, reason) of the call now."""
        handoff = self.handoff
        return build_context(
            call_id=self.context.call_id, caller=self.context.caller, channel=self.context.channel,
            reason=handoff.reason if handoff else "caller_request",
            priority=handoff.priority if handoff else "normal", last_intent=self.last_intent,
            confidence=self.last_confidence, slots=self.slots, transcript=self.transcript,
        )


def input_text(said: UserInput | None) -> str:
    """`said` as it goes into the record; None is a stage failure."""
    if said is None:
        return "[stage_failure]"
    if isinstance(said, Text):
        return said.text
    if isinstance(said, Digits):
        return said.digits
    return f"[{said.name}]"
