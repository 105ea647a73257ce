"""The states of a call and the moves between them; `CallSession` is their only owner.

Every change of state goes through `CallState.to(...)`, so a move the design does not allow
(an agent bridged to a call that is ending, a hand-back after the call ended) fails loudly
where it is attempted instead of leaving the call in a state nobody expects.
"""

from __future__ import annotations

import enum


class IllegalTransition(RuntimeError):
    """A change of call state the call's design does not allow."""


class CallState(enum.Enum):
    GREETING = "greeting"  # opened; the first dialogue turn (the greeting) not yet taken
    LISTENING = "listening"  # the caller's turn: the no-input timer runs
    THINKING = "thinking"  # a caller turn is with the dialogue
    SPEAKING = "speaking"  # the bot's reply is playing; the caller may barge in
    HOLDING = "holding"  # with the handoff desk: transfer, queue and hold audio
    BRIDGED = "bridged"  # an agent is on the line: audio goes between them
    ENDING = "ending"  # saying goodbye; nothing but the hangup follows
    ENDED = "ended"

    def to(self, new: CallState) -> CallState:
        """`new`, if a call may move there from this state; else IllegalTransition."""
        if new not in ALLOWED[self]:
            raise IllegalTransition(f"a call cannot go from {self.value} to {new.value}")
        return new


_ALWAYS = frozenset({CallState.ENDING, CallState.ENDED})

ALLOWED: dict[CallState, frozenset[CallState]] = {
    CallState.GREETING: frozenset({CallState.THINKING}) | _ALWAYS,
    CallState.LISTENING: frozenset({CallState.THINKING, CallState.SPEAKING}) | _ALWAYS,
    CallState.THINKING: frozenset({CallState.SPEAKING, CallState.LISTENING, CallState.HOLDING}) | _ALWAYS,
    # Speaking returns to the state it interrupted (thinking, or listening after a hand-back).
    CallState.SPEAKING: frozenset({CallState.THINKING, CallState.LISTENING}) | _ALWAYS,
    # Holding -> listening: an agent who accepted hands back before their audio was up.
    CallState.HOLDING: frozenset({CallState.BRIDGED, CallState.LISTENING}) | _ALWAYS,
    CallState.BRIDGED: frozenset({CallState.HOLDING, CallState.LISTENING}) | _ALWAYS,
    CallState.ENDING: frozenset({CallState.ENDED}),
    CallState.ENDED: frozenset(),
}
