"""Which recorded turns a designer should look at, and why.

A caller's turn is listed when the bot fell back (nlu_fallback, out of scope), understood it
with low confidence, the caller's next turn corrected it ("no, I said ..."), the call went
to a person because the bot did not understand (handoff low_confidence or out_of_scope), or
the bot took more than a filler as a hesitation and said "go on" (nlu/hesitation.py): a short
answer such as "the subject" can look like a sentence broken off.
"""

from __future__ import annotations

import re
from typing import Any

from nlu.hesitation import HESITATE, only_fillers

FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
MISUNDERSTOOD_HANDOFFS = frozenset({"low_confidence", "out_of_scope"})
REASONS = ("fallback", "low_confidence", "corrected", "escalated", "hesitation")
CORRECTION = re.compile(
    r"^\s*(no|nope|not)\b.{0,20}\b(i said|i meant|i asked|i want(ed)?|i was asking)\b"
    r"|\bthat'?s not what i (said|meant|asked)\b|\byou (misunderstood|got it wrong|didn'?t understand)\b"
    r"|^\s*no,? i said\b", re.IGNORECASE)


def is_correction(text: str) -> bool:
    """Whether a caller's turn corrects what the bot made of the turn before."""
    return bool(CORRECTION.search(text or ""))


def reasons_of(turn: dict[str, Any], next_text: str | None, low_confidence: float) -> list[str]:
    """Why `turn` (a caller's text turn) is worth reviewing; [] when it is not."""
    reasons = []
    intent, confidence = turn.get("intent"), float(turn.get("confidence") or 0.0)
    if intent is None or intent in FALLBACK_INTENTS:
        reasons.append("fallback")
    elif confidence < low_confidence:
        reasons.append("low_confidence")
    if next_text is not None and is_correction(next_text):
        reasons.append("corrected")
    if (turn.get("handoff") or {}).get("reason") in MISUNDERSTOOD_HANDOFFS:
        reasons.append("escalated")
    if intent == HESITATE and not only_fillers(turn["user_text"]):
        reasons.append("hesitation")
    return reasons


def find(turns: list[dict[str, Any]], low_confidence: float) -> list[dict[str, Any]]:
    """The caller turns worth reviewing among `turns` (in call and turn order), newest first,
    each with its reasons and the caller's next turn."""
    texts = [t for t in turns if t["input_kind"] == "text" and t["user_text"].strip()]
    found = []
    for i, turn in enumerate(texts):
        following = texts[i + 1] if i + 1 < len(texts) and texts[i + 1]["call_id"] == turn["call_id"] else None
        next_text = following["user_text"] if following else None
        reasons = reasons_of(turn, next_text, low_confidence)
        if reasons:
            found.append({**turn, "key": f"{turn['call_id']}#{turn['idx']}", "reasons": reasons,
                          "next_text": next_text})
    found.sort(key=lambda t: t["at"], reverse=True)
    return found


def matches(item: dict[str, Any], reason: str | None, intent: str | None) -> bool:
    """The page's filters: a reason among the item's, an intent it was understood as."""
    if reason and reason not in item["reasons"]:
        return False
    return not intent or (item.get("intent") or "nlu_fallback") == intent
