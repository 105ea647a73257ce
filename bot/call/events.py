"""What reaches a call's dialogue loop, one at a time: the caller's input or a call's own event.

The dialogue engine only ever sees `CallerInput.said`; timeouts and failures are events of
the call, never dressed up as caller input.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.call.turn_timing import TurnTiming
from nlu.engine import UserInput


@dataclass(frozen=True)
class CallerInput:
    """Words (a final transcript), keypad digits, or the call's start, for the dialogue."""

    said: UserInput
    timing: TurnTiming | None = None


@dataclass(frozen=True)
class NoInputTimeout:
    """The caller said nothing for the no-input timeout; `final`: reprompts are used up."""

    final: bool


@dataclass(frozen=True)
class StageFailed:
    """A stage broke (recognizer, speech, handoff): apologise and get the caller a person."""

    stage: str


CallEvent = CallerInput | NoInputTimeout | StageFailed
