"""Other readings of a turn the NLU could not understand, with the real trained model: the
first understood one is taken and recorded as heard; understood turns and turns inside a
form never ask; a failing recognizer leaves the first reading standing."""

from __future__ import annotations

from nlu.engine import Text
from nlu.readings import MIN_CONFIDENCE, best_reading, readings_help, understood
from tests.nlu.test_clarify_dialogue import VAGUE_CARD


class Readings:
    """The recognizer's side: other readings of the last turn, and how often it was asked."""

    def __init__(self, *texts: str, error: Exception | None = None) -> None:
        self.texts = list(texts)
        self.error = error
        self.asked = 0

    async def __call__(self) -> list[str]:
        self.asked += 1
        if self.error is not None:
            raise self.error
        return self.texts


def parse(name: str, confidence: float, text: str = "x") -> dict:
    return {"text": text, "intent": {"name": name, "confidence": confidence}}


def test_only_the_best_other_reading_counts_and_only_when_sure() -> None:
    first = parse("nlu_fallback", 0.6)
    good, unsure = parse("exchange_rate", 0.8), parse("exchange_rate", MIN_CONFIDENCE - 0.01)
    assert best_reading(first, [good, unsure]) is good
    assert best_reading(first, [unsure, good]) is first, "past the best other reading: more wrong than right"
    assert best_reading(first, [parse("out_of_scope", 0.99), good]) is first
    assert best_reading(first, []) is first
    for name in ("goodbye", "affirm", "deny", "greet"):  # never ends a call or answers yes/no
        assert best_reading(first, [parse(name, 1.0)]) is first
    assert best_reading(parse("out_of_scope", 0.99), [parse("bot_challenge", 1.0)])["intent"]["name"] == "bot_challenge"
    understood_first = parse("card_arrival", 0.61)
    assert best_reading(understood_first, [good]) is understood_first
    assert not understood(parse("out_of_scope", 1.0)) and not understood({"intent": {}})
    assert not understood(parse("clarify", 0.9)), "a question due is not an answer"
    assert readings_help(None) and readings_help("clarify_form") and not readings_help("complaint_form")


async def test_a_misheard_turn_is_understood_from_another_reading(engine, call) -> None:
    # The recognizer's first reading lost a word and misheard another; its second is right.
    # ("What exchange right do you use" is no longer understood either: noise_20db.yml.)
    readings = Readings("What exchange rate do you use", "What exchange right are you using")
    turn = await engine.handle(call, Text("What exchange right are you", readings))
    assert readings.asked == 1
    assert turn.intent == "exchange_rate" and turn.confidence >= MIN_CONFIDENCE
    assert turn.heard == "What exchange rate do you use"
    assert "exchange rate" in turn.texts[0]


async def test_an_understood_turn_never_asks(engine, call) -> None:
    readings = Readings("what's the weather")
    turn = await engine.handle(call, Text("how do I activate my new card", readings))
    assert readings.asked == 0 and turn.intent == "activate_my_card" and turn.heard is None


async def test_no_better_reading_keeps_the_first(engine, call) -> None:
    readings = Readings("purple bananas seen quietly", "purple banana is seen quietly")
    turn = await engine.handle(call, Text("purple bananas seem quietly under the old bridge", readings))
    assert readings.asked == 1
    assert turn.intent == "out_of_scope" and turn.heard is None


async def test_a_failing_recognizer_leaves_the_first_reading(engine, call) -> None:
    readings = Readings(error=RuntimeError("worker died"))
    turn = await engine.handle(call, Text("I have a question about my card", readings))
    assert readings.asked == 1, "a turn asked back about tries another reading first"
    assert turn.intent == "clarify" and turn.handoff is None and turn.heard is None


async def test_a_turn_asked_back_about_is_answered_from_a_clear_other_reading(engine, call) -> None:
    readings = Readings("why was I charged twice")
    turn = await engine.handle(call, Text("why was I charged", readings))
    assert readings.asked == 1
    assert turn.intent == "transaction_charged_twice" and turn.heard == "why was I charged twice"
    assert best_reading(parse("clarify", 0.6), [parse("clarify", 0.9)])["intent"]["name"] == "clarify"


async def test_the_answer_to_a_clarifying_question_tries_another_reading(engine, call) -> None:
    asked = await engine.handle(call, Text(VAGUE_CARD))
    assert asked.intent == "clarify"  # "Has your card been lost or stolen?"
    readings = Readings("my card was stolen")
    answered = await engine.handle(call, Text("the carts went missing", readings))
    assert readings.asked == 1 and answered.heard == "my card was stolen"
    assert answered.handoff is not None and answered.handoff.priority == "urgent"


async def test_inside_a_form_the_words_stand_as_said(engine, call) -> None:
    await engine.handle(call, Text("I want to make a complaint"))
    readings = Readings("how do I activate my new card")
    turn = await engine.handle(call, Text("the thing with the purple bananas", readings))
    assert readings.asked == 0 and turn.heard is None
    assert turn.slots.get("complaint_category") == "the thing with the purple bananas"
