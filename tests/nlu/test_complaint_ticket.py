"""A complaint the caller left, with the real trained model: described but not confirmed, it
is still a ticket when the call ends (before, the description went with the tracker)."""

from __future__ import annotations

from nlu.complaint_ticket import HANDED_OVER, NOT_CONFIRMED, handed_over, left_ticket
from tests.nlu.test_engine import say

DESCRIBED = ("I want to make a complaint", "the app", "it keeps crashing")


async def test_a_complaint_left_before_the_read_back_is_a_ticket(engine, call):
    await say(engine, call, *DESCRIBED)
    ticket = await engine.unfinished_complaint(call)
    assert ticket["description"] == "it keeps crashing" and ticket["category"] == "the app"
    assert ticket["notes"] == NOT_CONFIRMED and ticket["account_number"] is None
    assert len(ticket["reference"]) == 8


async def test_a_goodbye_during_the_complaint_keeps_what_was_said(engine, call, responses):
    *_, bye = await say(engine, call, *DESCRIBED, "one two three four five six seven eight",
                        "sorry I have to go, goodbye")
    assert bye.end_call and bye.ticket is None
    assert bye.texts[0] == responses["utter_complaint_left"]  # the caller hears it is kept
    ticket = await engine.unfinished_complaint(call)
    assert ticket["account_number"] == "12345678" and ticket["notes"] == NOT_CONFIRMED


async def test_a_goodbye_before_anything_was_described_says_only_goodbye(engine, call, responses):
    *_, bye = await say(engine, call, "I want to make a complaint", "goodbye")
    assert bye.end_call and bye.texts == [responses["utter_goodbye"]]
    assert await engine.unfinished_complaint(call) is None


async def test_a_confirmed_or_undescribed_complaint_leaves_nothing(engine, call):
    await say(engine, call, "I want to make a complaint", "the app")
    assert await engine.unfinished_complaint(call) is None  # nothing to act on yet
    *_, created = await say(engine, call, "it keeps crashing", "I don't have it", "yes")
    assert created.ticket is not None and "notes" not in created.ticket
    assert await engine.unfinished_complaint(call) is None  # filed once, not twice
    assert await engine.unfinished_complaint("a-call-never-seen") is None


def test_left_ticket_reads_only_the_complaint_slots():
    assert left_ticket({"complaint_description": "", "complaint_category": "fees"}) is None
    ticket = left_ticket({"complaint_description": "charged twice", "account_number": ""})
    assert ticket["account_number"] is None and ticket["category"] is None


async def test_a_person_asked_for_mid_complaint_leaves_a_ticket_saying_so(engine, call):
    """The call's teardown adds HANDED_OVER when the call was handed over (bot/call/bookkeeping.py;
    through a real call: nlu/tests/voice/complaint_left_for_a_person.yml)."""
    *_, person = await say(engine, call, *DESCRIBED, "can I speak to a real person")
    assert person.handoff is not None
    ticket = handed_over(await engine.unfinished_complaint(call))
    assert ticket["description"] == "it keeps crashing"
    assert ticket["notes"] == f"{NOT_CONFIRMED} {HANDED_OVER}"
