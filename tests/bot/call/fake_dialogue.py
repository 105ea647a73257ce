"""A scripted dialogue engine for call-core tests: fixed replies, and how long each takes.

It answers like the real engine's contract (`DialogueEngine`): the greeting at the call's
start, a reprompt on no input, an answer for a question about cards, a person when asked
(or on keypad 0), a goodbye, and what it was given for digits.
"""

from __future__ import annotations

import asyncio

from nlu.engine import BotTurn, Digits, Event, Handoff, Text, UserInput

GREETING = "Hello, thanks for calling the bank. How can I help?"
REPROMPT = "Sorry, I didn't hear anything. How can I help?"
CARD_ANSWER = ("A new card arrives within five working days. You can follow its delivery in the "
               "app, and you can use your card details online before it arrives.")
PERSON = "Of course, I'll get you a colleague."
GOODBYE = "Thanks for calling, goodbye."
ASK_NUMBER = "What is your account number?"


class ScriptedDialogue:
    """Replies by rule; `think_s` is how long each turn takes (on the virtual clock)."""

    def __init__(self, think_s: float = 0.05) -> None:
        self.think_s = think_s
        self.heard: list[UserInput] = []
        self.ended: list[str] = []

    async def handle(self, call_id: str, user_input: UserInput) -> BotTurn:
        self.heard.append(user_input)
        await asyncio.sleep(self.think_s)
        if isinstance(user_input, Event):
            return BotTurn([GREETING if user_input.name == "call_start" else REPROMPT])
        if isinstance(user_input, Digits):
            if user_input.digits == "0":
                return _person()
            return BotTurn([f"Thank you, I have {user_input.digits}."], intent="keypad",
                           confidence=1.0, slots={"account_number": user_input.digits})
        return _reply(user_input)

    async def unfinished_complaint(self, call_id: str) -> None:
        return None

    async def end_call(self, call_id: str) -> None:
        self.ended.append(call_id)


def _reply(said: Text) -> BotTurn:
    text = said.text.lower()
    if "person" in text or "agent" in text:
        return _person()
    if "goodbye" in text:
        return BotTurn([GOODBYE], intent="goodbye", confidence=0.9, end_call=True)
    if "number" in text:
        return BotTurn([ASK_NUMBER], intent="account", confidence=0.9, expect="digits")
    if "card" in text:
        return BotTurn([CARD_ANSWER], intent="card_arrival", confidence=0.9)
    return BotTurn(["Could you say that another way?"], intent="nlu_fallback", confidence=0.2)


def _person() -> BotTurn:
    return BotTurn([PERSON], intent="request_human", confidence=0.95,
                   handoff=Handoff("request_human", "normal"))
