"""The designers' lines (nlu/tests/answer_at_once.yml) with the real trained model: plain phone
questions are answered at once, vague ones asked back; and the tuner only considers rules that
do so and ask back on at most one turn in twenty."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from nlu import evaluation
from nlu.clarify import CLARIFY_INTENT, ClarifyRule
from nlu.clarify_constraints import Constraints, RankedConstraints, load_constraints, violations
from nlu.clarify_tuning import tune_clarify


@pytest.fixture(scope="module")
def lines(project_dir) -> Constraints:
    constraints = load_constraints(project_dir)
    assert len(constraints.answer_at_once) >= 15 and len(constraints.ask_back) >= 3
    return constraints


def test_plain_phone_questions_are_answered_at_once(agent, lines) -> None:
    parses = evaluation.parse_texts(agent, list(lines.answer_at_once))
    asked = [(text, p.clarify, p.ranking[:2]) for text, p in zip(lines.answer_at_once, parses)
             if p.clarify is not None or p.intent == CLARIFY_INTENT]
    assert asked == []
    assert all(p.intent not in ("nlu_fallback", "out_of_scope") for p in parses)


def test_vague_ones_are_asked_back(agent, lines) -> None:
    parses = evaluation.parse_texts(agent, list(lines.ask_back))
    answered = [(text, p.intent, p.ranking[:2]) for text, p in zip(lines.ask_back, parses)
                if p.intent != CLARIFY_INTENT or p.clarify is None]
    assert answered == []


RANKED = RankedConstraints(
    answer_at_once={"what's the exchange rate for euros": [("exchange_rate", 0.991), ("fiat_currency_support", 0.005)]},
    ask_back={"why was I charged": [("extra_charge_on_statement", 0.62), ("card_payment_fee_charged", 0.26)]},
)


def test_violations_name_the_lines_a_rule_gets_wrong() -> None:
    assert violations(RANKED, ClarifyRule(pair_margin=0.5, pair_min=0.8), []) == []
    eager = violations(RANKED, ClarifyRule(pair_margin=0.999, pair_min=0.3), [])
    assert eager == ["asked back: what's the exchange rate for euros"]
    shy = violations(RANKED, ClarifyRule(pair_margin=0.2, pair_min=0.8), [])
    assert shy == ["answered at once: why was I charged"]


@dataclass
class MadeUpValidation:  # the shape of nlu.evaluation.Validation
    gold: list
    rankings: list
    oos_rankings: list


def test_the_tuner_keeps_to_the_lines_and_asks_at_most_one_turn_in_twenty() -> None:
    clear = [[("card_arrival", 0.8), ("card_linking", 0.15)]] * 90  # a wide pair_margin asks these
    close = [[("declined_card_payment", 0.5), ("contactless_not_working", 0.45)]] * 10
    validation = MadeUpValidation(["card_arrival"] * 90 + ["contactless_not_working"] * 10,
                                  clear + close, [[("out_of_scope", 0.9)]] * 5)
    grid = {"urgent_min": (0.05,), "urgent_sure": (0.9,), "urgent_depth": (3,),
            "pair_margin": (0.2, 0.5, 0.999), "pair_min": (0.8,)}
    # 0.999 asks the euros line (and everyone); 0.2 answers "why was I charged"; 0.5 is left
    tuned = tune_clarify(validation, 0.6, ["out_of_scope"], grid, constraints=RANKED, max_asked=0.2)
    assert tuned["rule"]["pair_margin"] == 0.5
    assert tuned["excluded"] == {"constraints": 2, "asked": 0, "oos": 0}
    assert tuned["validation"]["asked"] == 0.1
    without_lines = tune_clarify(validation, 0.6, ["out_of_scope"], grid, max_asked=1.0)
    assert without_lines["rule"]["pair_margin"] == 0.2  # fewer questions, "why was I charged" guessed
    with pytest.raises(ValueError, match="no rule"):  # 10 % asked is over the default 5 %
        tune_clarify(validation, 0.6, ["out_of_scope"], grid, constraints=RANKED)
