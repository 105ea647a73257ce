"""Questions only the caller's account can answer, with the real trained model. Before the
account_lookup intent "what's my balance" was out of scope ("I can only help with your
Harbour Bank accounts and cards") and "I want to check my balance" a source-of-funds answer."""

from __future__ import annotations

import json

from nlu.convert import CLINC, CLINC_TO_OURS
from nlu.engine import Handoff
from tests.nlu.test_engine import say

ACCOUNT_LOOKUP = "account_lookup"


async def test_clinc150s_unseen_balance_and_transaction_questions(engine, datasets_dir):
    """CLINC150's test split (training reads only its train split) goes to account_lookup."""
    data = json.loads((datasets_dir / CLINC).read_text())
    labels = {label for label, ours in CLINC_TO_OURS.items() if ours == ACCOUNT_LOOKUP}
    sentences = [text for text, label in data["test"] if label in labels]
    assert len(sentences) == 90
    hits = 0
    for i, text in enumerate(sentences):
        [turn] = await say(engine, f"lookup-{i}", text)
        hits += turn.intent == ACCOUNT_LOOKUP
        await engine.end_call(f"lookup-{i}")
    assert hits / len(sentences) >= 0.9, hits


async def test_a_balance_question_is_told_where_to_look_and_offered_a_person(engine, call, responses):
    [asked] = await say(engine, call, "what's my balance")
    assert asked.intent == ACCOUNT_LOOKUP and asked.expect == "yes_no"
    assert asked.texts == [responses["utter_account_lookup"]] and asked.handoff is None
    [yes] = await say(engine, call, "yes please")
    assert yes.handoff == Handoff("request_human", "normal")


async def test_no_person_needed_then_the_call_goes_on(engine, call, responses):
    _, no, faq = await say(engine, call, "how much did I spend last week", "no thanks",
                           "how do I activate my new card")
    assert no.handoff is None and not no.end_call
    assert no.texts == [responses["utter_anything_else"]]
    assert faq.intent == "activate_my_card"
