"""Clarifying questions with the real trained model: the urgent confirmation and the either/or
question, each answered, and a second miss going to a person."""

from __future__ import annotations

from nlu.engine import Handoff, Text

# A lost card is plausible, not certain: "Has your card been lost or stolen?", and "no" answers
# card_not_working. ("it is about my card" asks which of two urgent problems since CLINC150's
# fraud reports train card_payment_not_recognised.)
VAGUE_CARD = "I need help with my card"
VAGUE_FEE = "I was charged a fee"  # on a card payment, or for taking out cash?


async def test_urgent_confirmation_yes_gives_the_urgent_answer_and_a_person(engine, call, responses):
    asked = await engine.handle(call, Text(VAGUE_CARD))
    assert asked.intent == "clarify"
    assert asked.texts == [responses["utter_confirm_lost_or_stolen_card"]]
    assert asked.expect == "yes_no" and asked.handoff is None
    answered = await engine.handle(call, Text("yes it was"))
    assert answered.texts == [responses["utter_lost_or_stolen_card"]]
    assert answered.handoff == Handoff("urgent_faq", "urgent")


async def test_urgent_confirmation_no_answers_the_other_intent(engine, call, responses):
    await engine.handle(call, Text(VAGUE_CARD))
    answered = await engine.handle(call, Text("no"))
    assert answered.handoff is None
    assert len(answered.texts) == 1 and answered.texts[0] != responses["utter_lost_or_stolen_card"]
    faq_answers = {text for name, text in responses.items() if name.startswith("utter_")}
    assert answered.texts[0] in faq_answers
    after = await engine.handle(call, Text("how do I activate my new card"))  # the call goes on
    assert after.intent == "activate_my_card"


async def test_either_or_question_takes_the_callers_choice(engine, call, responses):
    asked = await engine.handle(call, Text(VAGUE_FEE))
    assert asked.intent == "clarify" and asked.handoff is None and asked.expect == "text"
    options = asked.slots["clarify_options"]  # their order is the model's ranking
    assert sorted(options) == ["card_payment_fee_charged", "cash_withdrawal_charge"]
    first, second = (responses[f"utter_describe_{option}"] for option in options)
    assert asked.texts == [f"Is this about {first}, or about {second}?"]
    answered = await engine.handle(call, Text("the first one"))
    assert answered.texts == [responses[f"utter_{options[0]}"]]
    assert answered.handoff is None


async def test_either_or_answered_with_words_of_a_description(engine, call, responses):
    await engine.handle(call, Text(VAGUE_FEE))
    answered = await engine.handle(call, Text("for the cash"))
    assert answered.texts == [responses["utter_cash_withdrawal_charge"]]


async def test_a_second_miss_goes_to_a_person(engine, call, responses):
    await engine.handle(call, Text(VAGUE_FEE))
    answered = await engine.handle(call, Text("neither of those"))
    assert answered.texts == [responses["utter_clarify_failed"]]
    assert answered.handoff == Handoff("low_confidence", "normal")


async def test_a_second_miss_at_an_urgent_question_goes_to_a_person_first(engine, call, responses):
    asked = await engine.handle(call, Text(VAGUE_CARD))
    assert asked.texts == [responses["utter_confirm_lost_or_stolen_card"]]
    answered = await engine.handle(call, Text("maybe"))  # neither a yes nor a no
    assert answered.texts == [responses["utter_clarify_failed"]]
    assert answered.handoff == Handoff("low_confidence", "urgent")


async def test_repeat_during_the_question_asks_it_again(engine, call, responses):
    asked = await engine.handle(call, Text(VAGUE_FEE))
    again = await engine.handle(call, Text("sorry can you say that again"))
    assert again.texts[-1] == asked.texts[0] and again.handoff is None
    answered = await engine.handle(call, Text("the second one"))
    assert answered.texts == [responses[f"utter_{asked.slots['clarify_options'][1]}"]]


async def test_a_moment_asked_for_at_the_question_keeps_it_open(engine, call, responses):
    asked = await engine.handle(call, Text(VAGUE_FEE))
    wait = await engine.handle(call, Text("hold on a second"))  # "second": not the option
    assert wait.texts[0] == responses["utter_hold_on"] and wait.handoff is None
    assert wait.texts[-1] == asked.texts[0]
    answered = await engine.handle(call, Text("the first one"))
    assert answered.texts == [responses[f"utter_{asked.slots['clarify_options'][0]}"]]


def test_caller_outcomes_on_the_banking77_test(agent, datasets_dir):
    """Issue 18 as far as it is met, as measured with the calibrated rule (docs/benchmarks.md):
    at most 5 % answered wrong (2.5 % is the unmet target; 5.1 % without questions); urgent
    recall (a confirmed question counts) at least 95 % (99 % is the unmet target; 92.5 %
    without questions); a question on at most 5 % of the turns (the tuner's limit)."""
    from bot.bench.nlu import caller_outcomes
    from nlu import evaluation

    texts, gold = evaluation.banking77(datasets_dir, "test")
    outcomes = caller_outcomes(evaluation.parse_texts(agent, texts), gold)
    assert outcomes.share("wrong") <= 0.05
    assert outcomes.urgent_recall >= 0.95
    assert outcomes.urgent_reached_share >= outcomes.urgent_recall + 0.005  # see reached_urgently
    assert outcomes.asked <= 0.05
    assert outcomes.share("right") + outcomes.share("right_after_question") >= 0.94
