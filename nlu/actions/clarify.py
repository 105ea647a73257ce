"""Clarifying questions: ask (urgent confirmation or either/or), read the one answer, go on.

The NLU says `clarify` with `{kind, options}` in the parse (nlu/components/clarifier.py);
`action_clarify` keeps them in slots, `clarify_form` asks and takes one answer,
`action_clarified` answers the chosen FAQ as its rule would (urgent ones: a person, urgent)
or, on a second miss, hands the call to a person (urgent priority when an urgent intent was
among the options: nlu/clarify.py, `reached_urgently`).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from nlu.actions.phone import handoff
from nlu.clarify import NEVER_ASKED, URGENT_INTENTS, urgent_plausible
from nlu.clarify_answer import (
    GOODBYE,
    PERSON,
    REQUEST_HUMAN,
    is_holding,
    resolve_either_or,
    resolve_urgent,
)
from nlu.hesitation import is_hesitation

SLOTS = ("clarify_kind", "clarify_options", "clarify_answer")


def response_text(domain: DomainDict, name: str) -> str:
    """The first text of a domain response ('' when there is none)."""
    variants = (domain.get("responses") or {}).get(name) or [{}]
    return str(variants[0].get("text") or "")


def faq_intents(domain: DomainDict) -> list[str]:
    """Intents that have a spoken answer `utter_<intent>` and are not the phone line's own
    ("thanks" and "I'm not sure" have one too, but are no answer to "which problem is it?")."""
    responses = domain.get("responses") or {}
    return [i for i in domain.get("intents") or []
            if isinstance(i, str) and f"utter_{i}" in responses and i not in NEVER_ASKED]


class ActionClarify(Action):
    """Keep the NLU's question (kind, options) for the form that asks it."""

    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        question = tracker.latest_message.get("clarify") or {}
        return [
            SlotSet("clarify_kind", question.get("kind")),
            SlotSet("clarify_options", list(question.get("options") or [])),
        ]


class ActionAskClarifyAnswer(Action):
    """The question itself: the urgent intent's confirmation, or "Is this about A, or about B?"."""

    def name(self) -> str:
        return "action_ask_clarify_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        options = tracker.get_slot("clarify_options") or []
        if tracker.get_slot("clarify_kind") == "urgent" and options:
            dispatcher.utter_message(response=f"utter_confirm_{options[0]}")
        elif len(options) >= 2:
            dispatcher.utter_message(
                response="utter_either_or",
                first=response_text(domain, f"utter_describe_{options[0]}"),
                second=response_text(domain, f"utter_describe_{options[1]}"),
            )
        else:
            dispatcher.utter_message(response="utter_rephrase")
        return []


class ValidateClarifyForm(FormValidationAction):
    """One answer, read into an intent, REQUEST_HUMAN, GOODBYE or PERSON (never asked twice)."""

    def name(self) -> str:
        return "validate_clarify_form"

    def validate_clarify_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        options = tracker.get_slot("clarify_options") or []
        parse = tracker.latest_message
        if value is None:
            return {"clarify_answer": None}  # nothing said yet: the form asks
        if is_holding(parse):
            dispatcher.utter_message(response="utter_hold_on")
            return {"clarify_answer": None}  # the question again, once they are back
        faqs = faq_intents(domain)
        answer = PERSON
        if tracker.get_slot("clarify_kind") == "urgent" and options:
            answer = resolve_urgent(options, parse, faqs)
        elif len(options) >= 2:
            descriptions = {o: response_text(domain, f"utter_describe_{o}") for o in options[:2]}
            answer = resolve_either_or(options, parse, faqs, descriptions)
        if answer == PERSON and is_hesitation(parse):
            return {"clarify_answer": None}  # "um" is not a miss: the question again
        return {"clarify_answer": answer}


class ActionClarified(Action):
    """Go on with the caller's answer: the chosen FAQ's answer, or a person."""

    def name(self) -> str:
        return "action_clarified"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        chosen = tracker.get_slot("clarify_answer") or PERSON
        if chosen == REQUEST_HUMAN:
            dispatcher.utter_message(response="utter_request_human")
            handoff(dispatcher, "request_human", "normal")
        elif chosen == GOODBYE:
            dispatcher.utter_message(response="utter_goodbye")
            dispatcher.utter_message(json_message={"end_call": True})
        elif chosen in faq_intents(domain):
            dispatcher.utter_message(response=f"utter_{chosen}")
            if chosen in URGENT_INTENTS:
                handoff(dispatcher, "urgent_faq", "urgent")
        else:
            dispatcher.utter_message(response="utter_clarify_failed")
            options = tracker.get_slot("clarify_options") or []
            handoff(dispatcher, "low_confidence", "urgent" if urgent_plausible(options) else "normal")
        return [SlotSet(slot, None) for slot in SLOTS]
