"""Reading the caller's answer to a clarifying question (nlu/clarify.py asks it).

The answer is one turn: a yes or no to an urgent confirmation (an unsure one, "I don't know",
is neither; "hold on a second" is no answer yet); for an either/or, "the first one" / "the
second", words of one option's description, or a sentence the NLU reads as one of the two.
Anything else is the second miss, and a person takes the call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

PERSON = "person"  # not resolved: a person takes the call
REQUEST_HUMAN = "request_human"
GOODBYE = "goodbye"
DONT_KNOW = "dont_know"
HOLD_ON = "hold_on"
MIN_RESTATED = 0.6  # a different FAQ said instead of an answer is taken from this confidence
MIN_OPTION = 0.5  # an answer the NLU reads as one option this likely (and twice the other) picks it
YES = {"yes", "yeah", "yep", "yup", "correct", "right", "exactly", "indeed", "sure", "absolutely"}
NO = {"no", "nope", "nah", "neither", "not", "none", "wrong"}
FIRST = {"first", "former", "1st"}
SECOND = {"second", "latter", "last", "2nd", "other"}
STOP_WORDS = {
    "a", "an", "the", "about", "your", "you", "my", "i", "it", "is", "that", "to", "of", "for",
    "in", "on", "with", "by", "from", "and", "or", "this", "was", "has", "been", "be", "can",
    "how", "which", "what", "s", "t", "don", "doesn", "isn", "hasn", "didn", "me", "we", "our",
}
WORD = re.compile(r"[a-z0-9]+")
# A caller unsure whether their card was stolen needs a person, not the other FAQ's answer:
# the dont_know intent, or these words in an answer the NLU read otherwise ("no idea, maybe").
UNSURE = re.compile(r"\b(not (really |quite )?(sure|certain)|(don'?t|do not) know|no idea|dunno|"
                    r"can'?t (remember|tell)|maybe|might (be|have))\b", re.IGNORECASE)


# "hold on a second" asks for time; "the second one" chooses an option.
A_MOMENT = re.compile(r"\b((a|one|half a) sec(ond)?|(hold|hang) on|wait|moment|minute)\b",
                      re.IGNORECASE)


def is_holding(parse: Mapping[str, Any]) -> bool:
    """The caller asks for a moment rather than answering: the NLU's hold_on, unless the words
    choose an option (the NLU has taken "the second one" for hold_on)."""
    text = str(parse.get("text") or "")
    if _intent_of(parse)[0] != HOLD_ON:
        return False
    return bool(A_MOMENT.search(text)) or not set(words(text)) & (FIRST | SECOND)


def words(text: str) -> list[str]:
    return WORD.findall(text.casefold())


def _intent_of(parse: Mapping[str, Any]) -> tuple[str, float]:
    intent = parse.get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


def _common(parse: Mapping[str, Any], faqs: Sequence[str]) -> str | None:
    """A person, a goodbye, or another FAQ said with confidence: the same for both questions."""
    name, confidence = _intent_of(parse)
    if name in (REQUEST_HUMAN, GOODBYE):
        return name
    if name in faqs and confidence >= MIN_RESTATED:
        return name
    return None


def resolve_urgent(options: Sequence[str], parse: Mapping[str, Any], faqs: Sequence[str]) -> str:
    """Answer to "Has your card been lost or stolen?": the urgent intent on a yes, the other
    option (if any) on a no, or REQUEST_HUMAN / GOODBYE / PERSON."""
    urgent, otherwise = options[0], (options[1] if len(options) > 1 else None)
    name, _ = _intent_of(parse)
    said = words(str(parse.get("text") or ""))
    if name == urgent:
        return urgent
    if name == DONT_KNOW or UNSURE.search(str(parse.get("text") or "")):
        return PERSON
    if name == "affirm" or (said and said[0] in YES):
        return urgent
    if name == "deny" or (said and said[0] in NO):
        return otherwise or PERSON
    return _common(parse, faqs) or PERSON


def resolve_either_or(options: Sequence[str], parse: Mapping[str, Any], faqs: Sequence[str],
                      descriptions: Mapping[str, str]) -> str:
    """Answer to "Is this about A, or about B?": A or B, or REQUEST_HUMAN / GOODBYE / PERSON."""
    first, second = options[0], options[1]
    name, _ = _intent_of(parse)
    said = words(str(parse.get("text") or ""))
    if name in (first, second):
        return name
    if set(said) & FIRST and not set(said) & SECOND:
        return first
    if set(said) & SECOND and not set(said) & FIRST:
        return second
    chosen = _by_description(set(said), descriptions.get(first, ""), descriptions.get(second, ""))
    if chosen == 1:
        return first
    if chosen == 2:
        return second
    by_ranking = _by_ranking(parse, first, second)
    if by_ranking:
        return by_ranking
    return _common(parse, faqs) or PERSON


def _by_description(said: set[str], first: str, second: str) -> int:
    """1 or 2 when the caller used words found only in that option's description, else 0."""
    a = set(words(first)) - STOP_WORDS
    b = set(words(second)) - STOP_WORDS
    score_a, score_b = len(said & (a - b)), len(said & (b - a))
    return 1 if score_a > score_b else 2 if score_b > score_a else 0


def _by_ranking(parse: Mapping[str, Any], first: str, second: str) -> str | None:
    """The option the NLU finds likely (MIN_OPTION) and twice as likely as the other."""
    conf = {r.get("name"): float(r.get("confidence") or 0.0) for r in parse.get("intent_ranking") or []}
    a, b = conf.get(first, 0.0), conf.get(second, 0.0)
    if a >= MIN_OPTION and a >= 2 * b:
        return first
    if b >= MIN_OPTION and b >= 2 * a:
        return second
    return None
