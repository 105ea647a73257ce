"""Phone-line actions: handoffs, fallback and out-of-scope counting, repeat, hang-up."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

FALLBACK_INTENT = "nlu_fallback"


def handoff(dispatcher: CollectingDispatcher, reason: str, priority: str) -> None:
    """Ask the phone line to pass the caller to a person."""
    dispatcher.utter_message(json_message={"handoff": {"reason": reason, "priority": priority}})


def user_intents(tracker: Tracker) -> list[str]:
    """The intent of every caller turn so far, oldest first."""
    return [
        (event.get("parse_data") or {}).get("intent", {}).get("name") or ""
        for event in tracker.events
        if event.get("event") == "user"
    ]


class SaysThenHandsOff:
    """An action that says `response` (none: nothing) and asks for a person for `reason`,
    at `priority`. Not an `Action` itself, so the SDK registers only the actions below."""

    action_name: str
    response: str | None = None
    reason: str
    priority: str

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        if self.response:
            dispatcher.utter_message(response=self.response)
        handoff(dispatcher, self.reason, self.priority)
        return []


class ActionHandoffUrgent(SaysThenHandsOff, Action):
    """After an urgent FAQ's safety message: a person, now."""

    action_name, reason, priority = "action_handoff_urgent", "urgent_faq", "urgent"


class ActionRequestHuman(SaysThenHandsOff, Action):
    """The caller asked for a person (words or keypad 0)."""

    action_name, response = "action_request_human", "utter_request_human"
    reason, priority = "request_human", "normal"


class ActionAngryCaller(SaysThenHandsOff, Action):
    """An angry or abusive caller goes to a person rather than arguing with a machine."""

    action_name, response = "action_angry_caller", "utter_angry"
    reason, priority = "angry_caller", "complaint"


class ActionLowConfidence(Action):
    """Not understood: ask to rephrase once; two such turns in a row go to a person."""

    def name(self) -> str:
        return "action_low_confidence"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        intents = user_intents(tracker)
        if intents[-2:] == [FALLBACK_INTENT, FALLBACK_INTENT]:
            dispatcher.utter_message(response="utter_low_confidence_handoff")
            handoff(dispatcher, "low_confidence", "normal")
        else:
            dispatcher.utter_message(response="utter_rephrase")
        return []


class ActionOutOfScope(Action):
    """Outside what the bank's line handles: say so once; the second time, a person."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        if user_intents(tracker).count("out_of_scope") >= 2:
            dispatcher.utter_message(response="utter_out_of_scope_handoff")
            handoff(dispatcher, "out_of_scope", "normal")
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionRepeat(Action):
    """Say again what the bot said in its last turn."""

    def name(self) -> str:
        return "action_repeat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        if tracker.active_loop_name:
            return []  # the form asks its question again right after this action
        texts = last_bot_texts(tracker.events)
        if not texts:
            dispatcher.utter_message(response="utter_nothing_to_repeat")
        for text in texts:
            dispatcher.utter_message(text=text)
        return []


def last_bot_texts(events: list[dict[str, Any]]) -> list[str]:
    """The texts of the bot's most recent turn before the caller's latest message."""
    seen_user = 0
    texts: list[str] = []
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            seen_user += 1
            if seen_user == 2:
                break
        elif kind == "bot" and seen_user == 1 and event.get("text"):
            texts.append(event["text"])
    return list(reversed(texts))


class ActionEndCall(Action):
    """Hang up after the goodbye."""

    def name(self) -> str:
        return "action_end_call"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        dispatcher.utter_message(json_message={"end_call": True})
        return []


class ActionKeypad(Action):
    """Keys pressed where no number was asked for (0 is turned into request_human earlier)."""

    def name(self) -> str:
        return "action_keypad"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        dispatcher.utter_message(response="utter_keypad_hint")
        return []
