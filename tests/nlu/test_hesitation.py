"""Hesitations with the real trained model: a filler or a broken-off sentence is answered with
"go on" and leaves the question that was open (a read-back, a form's slot) exactly where it
was; in a form that reads its answer itself, a short answer is heard and a hesitation gets
the question again. A hesitation never ends the call or counts as a yes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from nlu.engine import NO_INPUT, Event, Handoff
from nlu.hesitation import GO_ON_FALLBACK, HESITATE, as_hesitation_if_fragment, go_on_text
from tests.nlu.test_clarify_dialogue import VAGUE_CARD  # asks "Has your card been lost or stolen?"
from tests.nlu.test_engine import say


# Before the hesitate intent: affirm 1.0, goodbye 0.99 (the call hung up), goodbye 0.73.
@pytest.mark.parametrize("fragment", ["uh", "I was just going to", "I'm calling about"])
async def test_a_fragment_is_not_a_turn(engine, call, responses, fragment):
    [turn] = await say(engine, call, fragment)
    assert turn.intent == HESITATE
    assert turn.texts == [responses["utter_go_on"]]
    assert not turn.end_call and turn.handoff is None
    [faq] = await say(engine, call, "how do I activate my new card")
    assert faq.intent == "activate_my_card"


async def test_a_hesitation_at_the_urgent_confirmation_is_not_a_yes(engine, call, responses):
    [asked] = await say(engine, call, VAGUE_CARD)
    assert asked.texts == [responses["utter_confirm_lost_or_stolen_card"]]
    [hmm] = await say(engine, call, "hmm")  # before: affirm 1.0, the urgent answer
    assert hmm.intent == HESITATE and hmm.handoff is None and hmm.expect == "yes_no"
    assert hmm.texts == asked.texts  # the question again, not a second miss
    [no] = await say(engine, call, "no")  # the question is still open: "no" answers it
    assert no.handoff is None and no.texts[0] != responses["utter_lost_or_stolen_card"]


async def test_a_short_answer_that_sounds_like_a_fragment_is_heard_in_the_correction(engine, call):
    turns = await say(engine, call, "I want to make a complaint", "a fee on my statement",
                      "I was charged a fee", "one two three four five six seven eight", "no")
    assert "Which part" in turns[-1].texts[-1]
    [which] = await say(engine, call, "the subject")  # the NLU alone: hesitate 0.9
    assert "what is the complaint about" in which.texts[-1].lower()


async def test_a_hesitation_at_the_read_back_keeps_the_complaint(engine, call):
    turns = await say(engine, call, "I want to make a complaint", "um", "the app", "uh",
                      "it keeps crashing", "one two three four five six seven eight")
    assert [t.intent for t in turns[1:4:2]] == [HESITATE, HESITATE]
    assert turns[-1].slots["complaint_category"] == "the app"
    assert turns[-1].slots["complaint_description"] == "it keeps crashing"
    [um] = await say(engine, call, "um")
    assert um.ticket is None and um.expect == "yes_no"
    [created] = await say(engine, call, "yes")
    assert created.ticket is not None and created.ticket["account_number"] == "12345678"


async def test_after_a_hesitation_silence_repeats_the_open_question(engine, call, responses):
    [asked] = await say(engine, call, VAGUE_CARD)
    _, silence = await say(engine, call, "I was just going to", Event("no_input"))
    assert silence.texts == [NO_INPUT, *asked.texts] and silence.expect == "yes_no"
    [yes] = await say(engine, call, "yes it was")
    assert yes.handoff == Handoff("urgent_faq", "urgent")


def test_go_on_is_the_designers_words_and_never_silence():
    designed = SimpleNamespace(responses={"utter_go_on": [{"text": "Mm-hm, go on."}]})
    assert go_on_text(designed) == "Mm-hm, go on."
    assert go_on_text(SimpleNamespace(responses={})) == GO_ON_FALLBACK


async def test_a_line_of_nothing_but_fragments_reaches_a_person(engine, call, responses):
    turns = await say(engine, call, "um", "uh", "the", "er", "hmm", "of the")
    assert [t.intent for t in turns] == [HESITATE, HESITATE, "nlu_fallback"] * 2
    assert turns[2].texts == [responses["utter_rephrase"]] and turns[2].handoff is None
    assert turns[5].handoff == Handoff("low_confidence", "normal")


# Before: goodbye 1.00, 0.91 and 0.90 after retraining, and the call hung up.
@pytest.mark.parametrize("fragment", ["later on", "over there", "on the way"])
async def test_a_short_goodbye_without_a_word_of_farewell_does_not_hang_up(engine, call, fragment):
    [faq, heard] = await say(engine, call, "what is the exchange rate", fragment)
    assert faq.intent == "exchange_rate"
    assert not heard.end_call and heard.intent != "goodbye"
    [bye] = await say(engine, call, "bye")
    assert bye.end_call


@pytest.mark.parametrize("farewell", ["later", "see you", "that's all", "I'm done",
                                      "it was nice talking to you"])
async def test_a_caller_who_says_goodbye_is_let_go(engine, call, farewell):
    [turn] = await say(engine, call, farewell)
    assert turn.intent == "goodbye" and turn.end_call


@pytest.mark.parametrize(("text", "intent", "read_as"), [
    ("later on", "goodbye", HESITATE),
    ("By the way", "goodbye", HESITATE),
    ("later", "goodbye", "goodbye"),
    ("that\u2019s all", "goodbye", "goodbye"),  # a typographic apostrophe from a transcript
    ("it was lovely to speak", "goodbye", "goodbye"),  # longer than a fragment: as said
    ("over there", "greet", "greet"),  # only a goodbye hangs up
])
def test_which_goodbyes_are_fragments(text, intent, read_as):
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.95}}
    assert as_hesitation_if_fragment(parse)["intent"] == {"name": read_as, "confidence": 0.95}
