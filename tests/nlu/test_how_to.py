"""How-to questions Banking77 has no intent for (nlu/domain/how_to.yml), with the real trained
model: sending money, opening an account, managing direct debits; and loans, which the bank
does not offer, are not taken for any of them."""

from __future__ import annotations

import pytest

from tests.nlu.test_engine import say


@pytest.mark.parametrize(("text", "intent"), [
    ("how do I send a payment overseas", "send_money"),
    ("can I send money to my sister in Spain", "send_money"),  # was receiving_money 0.98
    ("I want to open a new account", "open_account"),  # was terminate_account 0.76
    ("how do I open an account", "open_account"),  # was age_limit 0.95
    ("how do I stop a direct debit", "manage_direct_debit"),  # was the fraud team, urgent
    ("how do I cancel a standing order", "manage_direct_debit"),  # was request_refund 0.87
])
async def test_each_how_to_question_gets_its_answer(text, intent, engine, call, responses):
    """domain/how_to.yml; none of these sentences is a training example."""
    [turn] = await say(engine, call, text)
    assert turn.texts == [responses[f"utter_{intent}"]] and turn.handoff is None


@pytest.mark.parametrize("text", ["I want a loan", "I would like to borrow some money", "can you lend me money"])
async def test_a_loan_is_not_sending_money(text, engine, call, responses):
    """send_money drew money words to itself: these were send_money 0.94 / 1.00 / 0.42 (after
    the fallback, a reprompt). No training line; the designers' out-of-scope products teach
    that the bank does not lend."""
    [turn] = await say(engine, call, text)
    assert turn.intent in ("out_of_scope", "nlu_fallback"), turn.intent
    assert responses["utter_send_money"] not in turn.texts


async def test_cancelling_a_direct_debit_is_not_sent_to_the_fraud_team(engine, call, responses):
    """It was direct_debit_payment_not_recognised 1.00: an urgent handoff. Now the manage answer,
    or (the model is torn) the urgent question first, whose "no" gives it."""
    [turn] = await say(engine, call, "I want to cancel a direct debit")
    if turn.intent == "clarify":
        assert turn.slots["clarify_options"] == ["direct_debit_payment_not_recognised", "manage_direct_debit"]
        [turn] = await say(engine, call, "no")
    assert turn.texts == [responses["utter_manage_direct_debit"]] and turn.handoff is None
