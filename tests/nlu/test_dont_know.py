"""Callers who do not know the answer, with the real trained model: "I'm not sure" is neither
a yes nor a no. Before the dont_know intent it was a confident "no" (deny 1.0), which hung
up at "Is there anything else?" and asked the account number again and again of a caller
who did not have it."""

from __future__ import annotations

from nlu.engine import Event, Handoff
from tests.nlu.test_clarify_dialogue import VAGUE_CARD
from tests.nlu.test_engine import say

DONT_KNOW = "dont_know"
COMPLAINT = ("I want to make a complaint", "the app", "it keeps crashing")


async def test_not_sure_at_the_greeting_hears_what_the_bot_can_do(engine, call, responses):
    _, unsure, faq = await say(engine, call, Event("call_start"), "I don't know",
                               "how do I activate my new card")
    assert unsure.intent == DONT_KNOW
    assert unsure.texts == [responses["utter_dont_know"]]
    assert not unsure.end_call and unsure.handoff is None
    assert faq.intent == "activate_my_card"


async def test_not_sure_at_anything_else_keeps_the_call(engine, call, responses):
    thanks, unsure = await say(engine, call, "thank you", "I'm not sure")
    assert "anything else" in thanks.texts[-1]
    assert unsure.intent == DONT_KNOW and not unsure.end_call  # before: goodbye, hung up
    assert unsure.texts == [responses["utter_dont_know"]]
    [bye] = await say(engine, call, "goodbye")
    assert bye.end_call


async def test_a_complaint_without_the_number(engine, call, responses):
    *_, asked, none = await say(engine, call, *COMPLAINT, "I don't have it")
    assert asked.expect == "digits"
    assert none.slots["account_number"] == ""
    assert none.expect == "yes_no" and "don't have a number" in none.texts[-1]
    assert "it keeps crashing" in none.texts[-1]
    [created] = await say(engine, call, "yes")
    assert created.ticket is not None and created.ticket["account_number"] is None
    assert created.ticket["description"] == "it keeps crashing"


async def test_a_no_to_the_number_question_goes_on_without_one(engine, call):
    *_, none = await say(engine, call, *COMPLAINT, "no")
    assert none.slots["account_number"] == "" and none.expect == "yes_no"


async def test_words_without_digits_are_still_asked_again(engine, call, responses):
    *_, wrong = await say(engine, call, *COMPLAINT, "it's on my card somewhere")
    assert wrong.texts[0] == responses["utter_invalid_account_number"]
    assert wrong.slots.get("account_number") is None and wrong.expect == "digits"


async def test_not_sure_at_the_read_back_hears_it_again(engine, call):
    *_, read = await say(engine, call, *COMPLAINT, "one two three four five six seven eight")
    [again] = await say(engine, call, "I'm not sure")
    assert again.ticket is None and again.expect == "yes_no"
    assert again.texts == read.texts  # the read-back again, not "which part should I change?"
    [created] = await say(engine, call, "yes")
    assert created.ticket["account_number"] == "12345678"


async def test_not_sure_about_a_person_after_the_ticket(engine, call, responses):
    await say(engine, call, *COMPLAINT, "one two three four five six seven eight")
    created, unsure, no = await say(engine, call, "yes", "I don't know", "no")
    assert created.ticket is not None
    assert unsure.handoff is None and unsure.texts == [responses["utter_complaint_human_unsure"]]
    assert no.end_call  # "no" to "anything else?" ends the call


async def test_no_after_declining_a_person_ends_the_call(engine, call):
    await say(engine, call, *COMPLAINT, "one two three four five six seven eight", "yes")
    declined, no = await say(engine, call, "no thank you", "no")
    assert "anything else" in declined.texts[-1]
    assert no.end_call  # before: "Is there anything else I can help with?" again


async def test_no_idea_at_the_urgent_confirmation_is_a_person_first(engine, call, responses):
    [asked] = await say(engine, call, VAGUE_CARD)
    assert asked.texts == [responses["utter_confirm_lost_or_stolen_card"]]
    [unsure] = await say(engine, call, "I haven't got a clue")
    assert unsure.handoff == Handoff("low_confidence", "urgent")


async def test_a_complaint_whose_caller_cannot_name_its_subject(engine, call, responses):
    *_, unsure, described = await say(engine, call, "I want to make a complaint", "I don't know",
                                      "my card was charged twice")
    subject = responses["utter_complaint_category_not_given"]
    assert unsure.slots["complaint_category"] == subject  # it was "I don't know"
    assert described.expect == "digits"
    [read_back] = await say(engine, call, "one two three four five six seven eight")
    assert f"about {subject}." in read_back.texts[-1]
    [created] = await say(engine, call, "yes")
    assert created.ticket["category"] == subject


async def test_correcting_a_complaint_without_the_number_keeps_it_without(engine, call):
    *_, none, no, which, subject = await say(engine, call, *COMPLAINT, "I don't have it", "no",
                                             "the subject", "the website")
    assert none.slots["account_number"] == "" and "Which part" in no.texts[-1]
    # Before: the form's restart validated "" again, "I need at least six digits", the number.
    assert subject.expect == "yes_no" and len(subject.texts) == 1
    assert "about the website" in subject.texts[0] and "don't have a number" in subject.texts[0]
