"""The handoff context ("screen pop"): built once from the dialogue state, redacted."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from escalation.models import PRIORITY_RANK, HandoffContext
from escalation.redact import redact, redact_slots

REASON_TEXT = {
    "caller_request": "the caller asked for a person",
    "request_human": "the caller asked for a person",
    "urgent_faq": "the caller's matter is urgent",
    "angry_caller": "the caller is upset",
    "out_of_scope": "the caller asked about something the bot does not cover",
    "technical_error": "the bot had a technical problem",
    "low_confidence": "the bot did not understand the caller",
    "complaint": "the caller has a complaint",
    "lost_or_stolen_card": "the caller's card is lost or stolen",
    "compromised_card": "the caller's card may be compromised",
    "no_input": "the caller did not answer",
}

ASKED_FOR_PERSON = ("request_human", "caller_request")


def _humanize(name: str | None) -> str:
    return (name or "").replace("_", " ").strip()


def summarize(
    reason: str,
    priority: str,
    last_intent: str | None,
    confidence: float,
    slots: Mapping[str, Any],
    last_caller_text: str | None,
) -> str:
    """Two sentences: what the caller wants, then why they are waiting and what is known."""
    if last_intent in ASKED_FOR_PERSON:
        first = "The caller asked to speak to a person"
    elif last_intent:
        first = f"The caller wants help with {_humanize(last_intent)} ({confidence:.0%} sure)"
    else:
        first = "The bot could not tell what the caller wants"
    if last_caller_text and re.fullmatch(r"[0-9*#]+", last_caller_text):
        first += f" (pressed {last_caller_text} on the keypad)"
    elif last_caller_text:
        quoted = last_caller_text if len(last_caller_text) <= 120 else last_caller_text[:117] + "..."
        first += f' and last said "{quoted}"'
    why = REASON_TEXT.get(reason, _humanize(reason) or "escalated")
    known = [f"{_humanize(k)}: {v}" for k, v in slots.items() if v not in (None, "", [], {})]
    second = f"Escalated as {priority} because {why}"
    second += f"; known so far: {', '.join(known)}." if known else "."
    return f"{first}. {second}"


def build_context(
    call_id: str,
    caller: str,
    channel: str,
    reason: str,
    priority: str = "normal",
    last_intent: str | None = None,
    confidence: float = 0.0,
    slots: Mapping[str, Any] | None = None,
    transcript: Iterable[tuple[str, str]] | Iterable[Mapping[str, Any]] = (),
    started_at: float | None = None,
) -> HandoffContext:
    """Redacted context from the dialogue state; `transcript` is (speaker, text) pairs or dicts."""
    if priority not in PRIORITY_RANK:
        priority = "normal"
    lines: list[dict[str, Any]] = []
    for item in transcript:
        if isinstance(item, Mapping):
            speaker, text, at = item.get("speaker", "?"), item.get("text", ""), item.get("at")
        else:
            speaker, text, at = item[0], item[1], None
        lines.append({"speaker": str(speaker), "text": redact(str(text)), "at": at})
    clean_slots = redact_slots(slots or {})
    last_caller = next((ln["text"] for ln in reversed(lines) if ln["speaker"] == "caller"), None)
    return HandoffContext(
        call_id=call_id,
        caller=caller,
        channel=channel,
        reason=reason,
        priority=priority,
        last_intent=last_intent,
        confidence=round(float(confidence), 3),
        slots=clean_slots,
        transcript=lines,
        summary=summarize(reason, priority, last_intent, confidence, clean_slots, last_caller),
        started_at=started_at if started_at is not None else time.time(),
    )
