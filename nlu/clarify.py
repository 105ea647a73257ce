"""When to ask the caller back instead of answering: the decision rule on the NLU ranking.

Two questions, both answered by the caller in one turn:

- **urgent confirmation**: an urgent intent (a lost or stolen card, ...) is plausible but not
  certain: "Has your card been lost or stolen?" Yes: the urgent answer and a person. No: the
  best other intent, when there is one, is answered instead.
- **either/or**: the two best intents are close, or two urgent intents are plausible:
  "Is this about A, or about B?"

A missed urgent problem costs far more than a question, so the urgent check comes first
and looks past the best intent. The thresholds are tuned on held-out training data
(`voicebot bench nlu --tune`, nlu/evaluation.py), never on the test split.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

# Intents whose FAQ rule ends in action_handoff_urgent (nlu/data/rules/faq.yml; a
# validation check keeps the two in step).
URGENT_INTENTS = frozenset({
    "lost_or_stolen_card",
    "compromised_card",
    "card_swallowed",
    "card_payment_not_recognised",
    "cash_withdrawal_not_recognised",
    "direct_debit_payment_not_recognised",
    "lost_or_stolen_phone",
})
# Intents a question never names, nor an answer to one chooses: the phone line's own, out of
# scope, forms, and account_lookup (its answer asks a yes/no of its own). Every other intent
# with an `utter_<intent>` answer is an FAQ.
NEVER_ASKED = (
    "greet", "goodbye", "affirm", "deny", "repeat", "hold_on", "hesitate", "dont_know",
    "bot_challenge", "thanks", "out_of_scope", "request_human", "angry", "call_start", "keypad",
    "complaint", "account_lookup",
)
CLARIFY_INTENT = "clarify"  # what the NLU says instead of an intent when the bot should ask
FALLBACK_INTENT = "nlu_fallback"

Kind = Literal["answer", "urgent", "either_or"]
Ranking = Sequence[tuple[str, float]]


@dataclass(frozen=True)
class ClarifyRule:
    """Thresholds on the classifier's confidences (a softmax over the intents)."""

    urgent_min: float = 0.05  # an urgent intent this likely is worth a question
    urgent_sure: float = 0.9  # ... and this likely is answered without one
    pair_margin: float = 0.2  # the best two closer than this: either/or ...
    pair_min: float = 0.6  # ... when together they are at least this likely
    urgent_depth: int = 3  # how far down the ranking an urgent intent is looked for


@dataclass(frozen=True)
class Decision:
    kind: Kind
    # urgent: [the urgent intent, the intent answered on "no" (may be absent)];
    # either_or: [the best intent, the second best].
    options: tuple[str, ...] = ()


ANSWER = Decision("answer")


def decide(ranking: Ranking, askable: Collection[str], rule: ClarifyRule) -> Decision:
    """What to do with one caller turn, given the classifier's ranking (best first, without
    nlu_fallback) and the intents a question may name (the FAQs)."""
    ranking = [(name, conf) for name, conf in ranking if name != FALLBACK_INTENT]
    if not ranking or ranking[0][0] not in askable:
        return ANSWER  # the phone line, out of scope, a complaint: as today
    best, best_conf = ranking[0]
    urgent = [(n, c) for n, c in ranking[: rule.urgent_depth]
              if n in URGENT_INTENTS and n in askable and c >= rule.urgent_min]
    if urgent:
        name, conf = urgent[0]
        if name == best and conf >= rule.urgent_sure:
            return ANSWER
        if len(urgent) > 1:  # two urgent problems plausible: which one (both go to a person)
            return Decision("either_or", (name, urgent[1][0]))
        others = [n for n, _ in ranking if n != name and n in askable]
        return Decision("urgent", (name, others[0]) if others else (name,))
    if len(ranking) > 1 and ranking[1][0] in askable:
        second, second_conf = ranking[1]
        if best_conf - second_conf < rule.pair_margin and best_conf + second_conf >= rule.pair_min:
            return Decision("either_or", (best, second))
    return ANSWER


Outcome = Literal["right", "right_after_question", "person", "wrong"]


def simulate(decision: Decision, fallback: bool, predicted: str, gold: str) -> Outcome:
    """What happens to a caller whose true intent is `gold` and who answers a question
    truthfully (the bench's simulation). `fallback`: the NLU fell back (no question), so the
    caller is asked to rephrase, then a person; `predicted`: the intent answered otherwise."""
    if decision.kind == "urgent":
        urgent, *otherwise = decision.options
        if gold == urgent or (otherwise and gold == otherwise[0]):
            return "right_after_question"
        return "wrong" if otherwise else "person"
    if decision.kind == "either_or":
        return "right_after_question" if gold in decision.options else "person"
    if fallback:
        return "person"
    return "right" if predicted == gold else "wrong"


def urgent_hit(decision: Decision, predicted: str, gold: str) -> bool:
    """An urgent caller was recognised: answered as such, or asked a question naming it."""
    if decision.kind == "answer":
        return predicted == gold
    return gold in decision.options


def reached_urgently(decision: Decision, predicted: str, gold: str) -> bool:
    """An urgent caller (truthful to a question) got what an urgent problem needs, a person
    first: their intent recognised (`urgent_hit`), another urgent intent answered (its rule
    hands over, urgent), or a question naming an urgent intent missed with no other FAQ to
    answer instead (the second miss goes to a person at urgent priority). Wider than urgent
    recall, which asks for the right intent."""
    if urgent_hit(decision, predicted, gold):
        return True
    if decision.kind == "answer":
        return predicted in URGENT_INTENTS
    if decision.kind == "urgent" and len(decision.options) > 1:
        return False  # "no" to the confirmation: the other FAQ is answered, no person
    return urgent_plausible(decision.options)


def urgent_plausible(options: Sequence[str]) -> bool:
    """Whether a question named an urgent intent: missed, it goes to a person first."""
    return bool(URGENT_INTENTS & set(options))
