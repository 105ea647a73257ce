"""The clarifying-question rule, the reading of the caller's answer, its tuning and checks."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from nlu.clarify import ClarifyRule, Decision, decide, reached_urgently, simulate, urgent_hit
from nlu.clarify_answer import PERSON, REQUEST_HUMAN, is_holding, resolve_either_or, resolve_urgent
from nlu.clarify_checks import check_clarify_texts
from nlu.clarify_tuning import outcomes_of, tune_clarify

RULE = ClarifyRule(urgent_min=0.05, urgent_sure=0.9, pair_margin=0.2, pair_min=0.6)
FAQS = {"lost_or_stolen_card", "direct_debit_payment_not_recognised", "declined_card_payment",
        "contactless_not_working", "card_arrival", "compromised_card"}
DESCRIPTIONS = {"declined_card_payment": "a card payment that was declined",
                "contactless_not_working": "a card that doesn't work for contactless"}


def test_confident_answer_is_given_without_a_question():
    assert decide([("card_arrival", 0.95), ("card_linking", 0.01)], FAQS, RULE).kind == "answer"
    assert decide([("lost_or_stolen_card", 0.95)], FAQS, RULE).kind == "answer"


def test_plausible_urgent_intent_below_the_best_is_confirmed_with_the_best_as_the_no():
    ranking = [("card_arrival", 0.7), ("lost_or_stolen_card", 0.2)]
    decision = decide(ranking, FAQS, RULE)
    assert decision == Decision("urgent", ("lost_or_stolen_card", "card_arrival"))


def test_unsure_urgent_best_is_confirmed_and_an_unlikely_one_is_not():
    assert decide([("lost_or_stolen_card", 0.7), ("card_arrival", 0.2)], FAQS, RULE).kind == "urgent"
    ranking = [("card_arrival", 0.96), ("lost_or_stolen_card", 0.01)]
    assert decide(ranking, FAQS, RULE).kind == "answer"


def test_two_plausible_urgent_intents_give_an_either_or_between_them():
    ranking = [("card_arrival", 0.5), ("compromised_card", 0.3), ("lost_or_stolen_card", 0.15)]
    assert decide(ranking, FAQS, RULE) == Decision("either_or", ("compromised_card", "lost_or_stolen_card"))


def test_close_best_two_give_an_either_or_question():
    ranking = [("declined_card_payment", 0.45), ("contactless_not_working", 0.4), ("card_arrival", 0.1)]
    assert decide(ranking, FAQS, RULE) == Decision("either_or", ("declined_card_payment", "contactless_not_working"))
    spread = [("declined_card_payment", 0.3), ("contactless_not_working", 0.25), ("card_arrival", 0.2)]
    assert decide(spread, FAQS, RULE).kind == "answer"  # together too unlikely: the fallback's


def test_phone_line_intents_are_never_questioned():
    ranking = [("greet", 0.5), ("lost_or_stolen_card", 0.45)]
    assert decide(ranking, FAQS, RULE).kind == "answer"


def test_simulated_caller_outcomes():
    urgent = Decision("urgent", ("lost_or_stolen_card", "card_arrival"))
    assert simulate(urgent, False, "clarify", "lost_or_stolen_card") == "right_after_question"
    assert simulate(urgent, False, "clarify", "card_arrival") == "right_after_question"
    assert simulate(urgent, False, "clarify", "card_linking") == "wrong"  # "no" answers card_arrival
    pair = Decision("either_or", ("declined_card_payment", "contactless_not_working"))
    assert simulate(pair, True, "clarify", "card_linking") == "person"
    assert simulate(Decision("answer"), True, "nlu_fallback", "card_linking") == "person"
    assert simulate(Decision("answer"), False, "card_arrival", "card_linking") == "wrong"
    assert urgent_hit(urgent, "clarify", "lost_or_stolen_card")
    assert not urgent_hit(Decision("answer"), "card_arrival", "lost_or_stolen_card")


def test_an_urgent_caller_is_reached_by_a_person_first():
    stolen_phone = "lost_or_stolen_phone"
    assert reached_urgently(Decision("answer"), stolen_phone, stolen_phone)  # recognised
    assert reached_urgently(Decision("answer"), "lost_or_stolen_card", stolen_phone)  # its rule hands over
    assert not reached_urgently(Decision("answer"), "card_arrival", stolen_phone)
    two_urgent = Decision("either_or", ("lost_or_stolen_card", "compromised_card"))
    assert reached_urgently(two_urgent, "clarify", stolen_phone)  # missed: a person, urgent
    assert not reached_urgently(Decision("either_or", ("card_arrival", "card_linking")), "clarify",
                                stolen_phone)
    assert reached_urgently(Decision("urgent", ("lost_or_stolen_card",)), "clarify", stolen_phone)
    # "no" to the confirmation answers the other FAQ: no person
    assert not reached_urgently(Decision("urgent", ("lost_or_stolen_card", "card_arrival")), "clarify",
                                stolen_phone)


def parse(text: str, intent: str, confidence: float = 0.9, ranking: list | None = None) -> dict:
    return {"text": text, "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}


def test_urgent_confirmation_answers():
    options = ["lost_or_stolen_card", "direct_debit_payment_not_recognised"]
    assert resolve_urgent(options, parse("yes", "affirm"), FAQS) == "lost_or_stolen_card"
    assert resolve_urgent(options, parse("yeah it was taken", "compromised_card", 0.4), FAQS) == "lost_or_stolen_card"
    assert resolve_urgent(options, parse("no", "deny"), FAQS) == "direct_debit_payment_not_recognised"
    assert resolve_urgent(options[:1], parse("no", "deny"), FAQS) == PERSON
    assert resolve_urgent(options, parse("a person please", "request_human"), FAQS) == REQUEST_HUMAN
    assert resolve_urgent(options, parse("banana", "out_of_scope"), FAQS) == PERSON
    for unsure in ("I don't know", "no idea", "hmm I'm not really sure"):  # the NLU: deny
        assert resolve_urgent(options, parse(unsure, "deny"), FAQS) == PERSON
    assert resolve_urgent(options, parse("whatever", "dont_know"), FAQS) == PERSON


def test_a_moment_asked_for_is_not_an_answer():
    for moment in ("hold on a second", "one sec", "wait", "hang on let me check"):
        assert is_holding(parse(moment, "hold_on"))
    for answer in ("the second one", "the first", "second"):  # the NLU took these for hold_on
        assert not is_holding(parse(answer, "hold_on"))
    assert not is_holding(parse("hold on", "affirm"))


def test_either_or_answers():
    options = ["declined_card_payment", "contactless_not_working"]
    assert resolve_either_or(options, parse("the first one", "nlu_fallback"), FAQS, DESCRIPTIONS) == options[0]
    assert resolve_either_or(options, parse("the second one", "nlu_fallback"), FAQS, DESCRIPTIONS) == options[1]
    assert resolve_either_or(options, parse("contactless", "nlu_fallback"), FAQS, DESCRIPTIONS) == options[1]
    assert resolve_either_or(options, parse("it was declined", "nlu_fallback"), FAQS, DESCRIPTIONS) == options[0]
    ranked = parse("hmm", options[1], 0.55, [{"name": options[1], "confidence": 0.55},
                                              {"name": options[0], "confidence": 0.25}])
    assert resolve_either_or(options, ranked, FAQS, DESCRIPTIONS) == options[1]
    unsure = parse("it is about my card", "card_arrival", 0.4, [{"name": "card_arrival", "confidence": 0.4},
                                                                {"name": options[0], "confidence": 0.3}])
    assert resolve_either_or(options, unsure, FAQS, DESCRIPTIONS) == PERSON
    assert resolve_either_or(options, parse("neither", "deny"), FAQS, DESCRIPTIONS) == PERSON
    assert resolve_either_or(options, parse("when does my card come", "card_arrival"), FAQS, DESCRIPTIONS) == "card_arrival"


@dataclass
class FakeValidation:  # the shape of nlu.evaluation.Validation, made up for the tuning
    gold: list
    rankings: list
    oos_rankings: list


def test_tuning_meets_the_targets_with_the_fewest_questions():
    confident = [[("card_arrival", 0.95), ("card_linking", 0.02)]] * 96
    hidden_urgent = [[("card_arrival", 0.65), ("lost_or_stolen_card", 0.3)]] * 2
    close_pair = [[("declined_card_payment", 0.5), ("contactless_not_working", 0.45)]] * 2
    validation = FakeValidation(
        gold=["card_arrival"] * 96 + ["lost_or_stolen_card"] * 2 + ["contactless_not_working"] * 2,
        rankings=confident + hidden_urgent + close_pair,
        oos_rankings=[[("out_of_scope", 0.9), ("card_arrival", 0.05)]] * 10,
    )
    tuned = tune_clarify(validation, 0.6, ["out_of_scope"])
    assert tuned["meets_targets"]
    assert tuned["validation"]["urgent_recall"] == 1.0 and tuned["validation"]["wrong"] == 0.0
    assert tuned["validation"]["right"] == 0.96  # the confident ones are not asked
    untuned = outcomes_of(validation.rankings, validation.gold, ClarifyRule(urgent_min=1.0, pair_margin=0.0),
                          0.6, ["out_of_scope"])
    # without questions: the hidden urgent callers get a wrong answer, the close pair falls back
    assert untuned.urgent_recall == 0.0 and untuned.share("wrong") == 0.02 and untuned.share("person") == 0.02


def test_every_intent_needs_a_description_and_every_urgent_one_a_confirmation(project_dir, tmp_path):
    assert check_clarify_texts(project_dir) == []
    copy = tmp_path / "nlu"
    shutil.copytree(project_dir / "domain", copy / "domain")
    shutil.copytree(project_dir / "data", copy / "data")
    text = (copy / "domain" / "clarify.yml").read_text()
    text = text.replace('"utter_describe_card_arrival"', '"utter_describe_card_arival"')
    text = text.replace('"utter_confirm_card_swallowed"', '"utter_confirm_card_swalowed"')
    (copy / "domain" / "clarify.yml").write_text(text)
    messages = [p.message for p in check_clarify_texts(Path(copy))]
    assert any("card_arrival has no spoken description" in m for m in messages)
    assert any("card_swallowed has no yes/no confirmation" in m for m in messages)


async def test_voicebot_test_scores_a_question_as_the_classifiers_best_intent():
    from nlu.testing import _scored_as_classified

    async def parse(text):
        ranking = [{"name": "nlu_fallback", "confidence": 0.6}, {"name": "card_arrival", "confidence": 0.5},
                   {"name": "card_linking", "confidence": 0.4}]
        intent = {"name": "clarify", "confidence": 0.5} if text == "vague" else ranking[1]
        return {"text": text, "intent": intent, "intent_ranking": ranking}

    scored = _scored_as_classified(parse)
    assert (await scored("vague"))["intent"]["name"] == "card_arrival"
    assert (await scored("clear"))["intent"] == {"name": "card_arrival", "confidence": 0.5}
