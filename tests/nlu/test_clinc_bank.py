"""CLINC150's bank questions that mean the same as one of our intents, with the real trained
model: each of its unseen test sentences should get that intent's answer, at once or after the
caller answers the question asked back. Training reads only CLINC150's train split.

Before the mapping (stop 32's model) callers' plain words missed often: "I need help changing
my PIN" was told how to get a physical card (7 of 30 PIN changes right), "how do i freeze my
account" how to close it (0 of 30, stop 31).

CLINC150's replacement_card_duration is not mapped to card_delivery_estimate: it made "it is
about my card" (and "my card" alone) a confident card-delivery question, and its sentences
mostly got card_arrival's answer (new cards arrive within five working days) already."""

from __future__ import annotations

import json

import pytest

from nlu.clarify import URGENT_INTENTS
from nlu.convert import CLINC, CLINC_TO_OURS
from tests.nlu.test_engine import say

# CLINC150 label: (its 30 test sentences answered at once, ... at once or after the question);
# about two sentences below what stop 33's model measured, so a retraining's wobble passes.
EXPECTED = {
    "freeze_account": (25, 28),
    "report_lost_card": (24, 27),
    "report_fraud": (17, 26),
    "card_declined": (21, 23),
    "damaged_card": (27, 28),
    "pin_change": (24, 25),
    "international_fees": (28, 28),
    "exchange_rate": (27, 27),
}


def answered(turn, target: str, responses: dict[str, str]) -> bool:
    """The caller heard the target intent's answer (urgent ones: and was put through first)."""
    if responses[f"utter_{target}"] not in turn.texts:
        return False
    return target not in URGENT_INTENTS or (turn.handoff is not None and turn.handoff.priority == "urgent")


def reply_to_question(turn, target: str, responses: dict[str, str]) -> str:
    """What a caller whose problem is `target` says to the question asked back."""
    if turn.slots.get("clarify_options") == [target]:
        return "yes"
    return responses.get(f"utter_describe_{target}", "neither")


@pytest.mark.parametrize("label", sorted(EXPECTED))
async def test_clinc150s_unseen_bank_questions_get_our_answer(label, engine, datasets_dir, responses):
    target = CLINC_TO_OURS[label]
    data = json.loads((datasets_dir / CLINC).read_text())
    sentences = [text for text, name in data["test"] if name == label]
    assert len(sentences) == 30
    at_once = after_a_question = 0
    for i, text in enumerate(sentences):
        call = f"{label}-{i}"
        [turn] = await say(engine, call, text)
        if turn.intent == "clarify":
            [turn] = await say(engine, call, reply_to_question(turn, target, responses))
            after_a_question += answered(turn, target, responses)
        else:
            at_once += answered(turn, target, responses)
        await engine.end_call(call)
    least_at_once, least_in_all = EXPECTED[label]
    assert at_once >= least_at_once, (at_once, after_a_question)
    assert at_once + after_a_question >= least_in_all, (at_once, after_a_question)
