"""Choosing between readings of one caller turn: the recognizer's first transcript, or the
best other reading of the same speech when only that one is understood.

A recognizer's single best guess is sometimes one sound off ("what exchange right are you"
for "what exchange rate do you use") and the NLU then falls back, although a close second
reading of the same audio would have been understood. Spoken dialogue systems rescore the
recognizer's n-best list with the NLU for this; here the other readings are asked for only
when the first is not understood, so ordinary turns cost nothing more.

The rule was chosen on 360 synthetic caller turns through the phone path, clean and with
20 / 10 dB noise (docs/listening.md): looking past the beam's best other reading, or taking
a greeting, a yes, a no or a goodbye from it, turned more fallbacks into wrong answers than
into right ones. A second guess never ends the call.

A turn the NLU would ask back about (`clarify`, nlu/clarify.py) is not understood at once
either: the best other reading is tried first, and answered when understood with
MIN_CONFIDENCE without a question. The caller's answer to a clarifying question is read the
same way (clarify_form takes an intent, not the words as said like the other forms), so a
misheard "yes" or "the card payment" is not the second miss that hands the call over.
"""

from __future__ import annotations

from typing import Any

NOT_UNDERSTOOD = frozenset({"nlu_fallback", "out_of_scope", "clarify"})  # clarify: a question is due
# Forms whose answer is read by the NLU, so other readings help (the others keep the words).
FORMS_READ_BY_THE_NLU = frozenset({"clarify_form"})
# What garbled readings most often look like, and what must not be acted on from a guess.
NEVER_FROM_A_SECOND_READING = frozenset({"greet", "affirm", "deny", "goodbye", "hesitate"})
MIN_CONFIDENCE = 0.7  # above the fallback threshold (0.6)


def understood(parse: dict[str, Any]) -> bool:
    """Whether Rasa's parse names an in-scope intent (not a fallback, not out of scope, not a
    clarifying question)."""
    intent = parse.get("intent") or {}
    return bool(intent.get("name")) and intent["name"] not in NOT_UNDERSTOOD


def best_reading(first: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    """`first` unless it is not understood and the best other reading (`others[0]`, the
    recognizer's order) is, with confidence of at least MIN_CONFIDENCE, and its intent may
    be acted on from a second reading (a reading asked back about is not understood)."""
    if understood(first) or not others:
        return first
    second = others[0]
    intent = second.get("intent") or {}
    if (understood(second) and intent["name"] not in NEVER_FROM_A_SECOND_READING
            and float(intent.get("confidence") or 0.0) >= MIN_CONFIDENCE):
        return second
    return first


def readings_help(active_form: str | None) -> bool:
    """Whether other readings are tried in this state: outside forms and in the forms whose
    answer the NLU reads; the other forms take the caller's words as they came."""
    return active_form is None or active_form in FORMS_READ_BY_THE_NLU
