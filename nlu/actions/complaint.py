"""Complaint intake: slot validation, read-back, corrections and the ticket."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from nlu.actions.clarify import response_text
from nlu.actions.phone import SaysThenHandsOff
from nlu.clarify_answer import DONT_KNOW, is_holding
from nlu.complaint_ticket import complaint_ticket, left_unconfirmed, new_reference
from nlu.digits import read_back, spoken_digits

MIN_DIGITS = 6
MAX_DIGITS = 16
# A caller without the number ("I don't have it", "no") goes on without one: the slot must
# be set for the form to end, so "not given" is the empty string, never None.
NO_NUMBER = ""
WITHOUT_A_NUMBER = (DONT_KNOW, "deny")
# A caller who cannot say what the complaint is about goes on to describe it; the read-back
# and the ticket name the subject in the designers' words ("Your complaint is about I don't
# know" before).
NO_CATEGORY = "utter_complaint_category_not_given"
NO_CATEGORY_FALLBACK = "a general matter"
# What a caller may say when asked which part to correct, and the slot it means.
CORRECTION_WORDS = {
    "account_number": ("number", "account", "digits", "reference"),
    "complaint_description": ("description", "what happened", "details", "story", "said"),
    "complaint_category": ("subject", "category", "about", "type", "topic", "kind"),
}


class ValidateComplaintForm(FormValidationAction):
    """Tidies the caller's answers; turns spoken digits into digits."""

    def name(self) -> str:
        return "validate_complaint_form"

    def validate_complaint_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        said_now = value == tracker.latest_message.get("text")  # not validated again on a correction
        if said_now and tracker.get_intent_of_latest_message() == DONT_KNOW:
            return {"complaint_category": response_text(domain, NO_CATEGORY) or NO_CATEGORY_FALLBACK}
        text = " ".join(str(value or "").split()).strip(" .")
        return {"complaint_category": text[:80] or None}

    def validate_complaint_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = " ".join(str(value or "").split()).strip()
        return {"complaint_description": text[:500] or None}

    def validate_account_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == NO_NUMBER:  # said before, validated again when a correction restarts the form
            return {"account_number": NO_NUMBER}
        digits = spoken_digits(str(value or ""))
        if MIN_DIGITS <= len(digits) <= MAX_DIGITS:
            return {"account_number": digits}
        if not digits and tracker.get_intent_of_latest_message() in WITHOUT_A_NUMBER:
            return {"account_number": NO_NUMBER}
        dispatcher.utter_message(response="utter_invalid_account_number")
        return {"account_number": None}


class ValidateCorrectionForm(FormValidationAction):
    """Which part of the complaint the caller wants to change."""

    def name(self) -> str:
        return "validate_correction_form"

    def validate_correction_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        field = correction_target(str(value or ""))
        if field is None and is_holding(tracker.latest_message):
            dispatcher.utter_message(response="utter_hold_on")  # the question again after it
        elif field is None:
            dispatcher.utter_message(response="utter_invalid_correction_field")
        return {"correction_field": field}


def correction_target(text: str) -> str | None:
    """The complaint slot a caller's words point at, or None."""
    text = text.lower()
    for slot, words in CORRECTION_WORDS.items():
        if any(word in text for word in words):
            return slot
    return None


class ActionConfirmComplaint(Action):
    """Read the complaint back and ask whether it is right."""

    def name(self) -> str:
        return "action_confirm_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        number = tracker.get_slot("account_number") or NO_NUMBER
        dispatcher.utter_message(
            response="utter_complaint_read_back" if number else "utter_complaint_read_back_no_number",
            category=tracker.get_slot("complaint_category") or "",
            description=tracker.get_slot("complaint_description") or "",
            digits=read_back(number),
        )
        return []


class ActionApplyCorrection(Action):
    """Forget the detail the caller wants to change, so the form asks for it again."""

    def name(self) -> str:
        return "action_apply_correction"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        field = tracker.get_slot("correction_field")
        dispatcher.utter_message(response="utter_correction_ok")
        events = [SlotSet("correction_field", None)]
        if field in CORRECTION_WORDS:
            events.append(SlotSet(field, None))
        return events


class ActionCreateTicket(Action):
    """Hand the ticket to the phone line, read its reference digit by digit, offer a person."""

    def name(self) -> str:
        return "action_create_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        reference = new_reference()
        ticket = complaint_ticket(tracker.current_slot_values(), reference)
        dispatcher.utter_message(json_message={"ticket": ticket})
        dispatcher.utter_message(
            response="utter_ticket_created", reference_spoken=read_back(reference)
        )
        return [SlotSet("ticket_reference", reference)]


class ActionComplaintLeft(Action):
    """A caller leaving mid-complaint hears that what they described will be followed up
    (it is filed as the call ends); with nothing described yet, nothing is said."""

    def name(self) -> str:
        return "action_complaint_left"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        if left_unconfirmed(tracker.current_slot_values()):
            dispatcher.utter_message(response="utter_complaint_left")
        return []


class ActionComplaintHandoff(SaysThenHandsOff, Action):
    """The caller wants a person after the complaint: complaint priority."""

    action_name, response = "action_complaint_handoff", "utter_complaint_handoff"
    reason, priority = "complaint", "complaint"
