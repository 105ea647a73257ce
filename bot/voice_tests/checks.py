"""Expectations checked against what the bot did: its call record (turns, events) and the caller's ears.

Record turns and events are matched to caller turns by time: each belongs to the last caller
turn whose speech had ended when the bot wrote it (an interrupted answer is written while the
caller talks over it, so it stays with the turn it answered).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from escalation.redact import redact, redact_slots


@dataclass
class TurnResult:
    """What happened in one caller turn (index 0 is the greeting)."""

    label: str
    line: int
    expect: dict[str, Any]
    ended_at: float  # wall clock when the caller finished (speech end, keys, or start of silence)
    reply_s: float = 0.0
    latency_ms: float | None = None
    interrupted: bool = False  # this turn's speech made the bot stop talking (a `clear`)
    bot_hung_up: bool = False
    reached: bool = True
    bot_turns: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def intents(self) -> list[str]:
        return [t["intent"] for t in self.bot_turns if t.get("intent")]

    @property
    def said(self) -> str:
        return " ".join(t["bot_text"] for t in self.bot_turns if t.get("bot_text"))

    @property
    def heard(self) -> str:
        return " | ".join(t["user_text"] for t in self.bot_turns if t["input_kind"] in ("text", "digits"))

    @property
    def bot_latency_ms(self) -> float | None:
        values = [t["latency"].get("response_ms") for t in self.bot_turns if t.get("latency")]
        return next((v for v in values if v is not None), None)


def norm(text: str) -> str:
    """Lower case, punctuation dropped, single spaces: phrases match however the bot punctuates."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def assign(results: list[TurnResult], record: dict[str, Any]) -> None:
    """Give each record turn and event to the caller turn it answered."""

    def owner(at: float) -> TurnResult:
        chosen = results[0]
        for result in results:
            if result.reached and result.ended_at <= at:
                chosen = result
        return chosen

    for turn in record.get("turns", []):
        target = results[0] if turn["user_text"] == "[call_start]" else owner(turn["at"])
        target.bot_turns.append(turn)
    for event in record.get("events", []):
        owner(event["at"]).events.append(event)


def _redacted(name: str, value: str) -> str:
    """How the record stores `value` under `name` (records are redacted)."""
    masked = redact_slots({name: value})[name]
    return str(json.loads(redact(json.dumps({name: masked}))).get(name, masked))


def _contains(actual: Any, expected: Any, name: str) -> bool:
    got = norm(str(actual))
    return any(norm(str(e)) in got or norm(_redacted(name, str(e))) in got for e in as_list(expected))


def _handoffs(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t["handoff"] for t in turns if t.get("handoff")]


def _check_handoff(expected: Any, handoffs: list[dict[str, Any]]) -> str | None:
    if expected is False:
        return f"expected no handoff, got {handoffs[0]['reason']}" if handoffs else None
    if not handoffs:
        return f"expected a handoff ({expected}), the bot did not hand off"
    if isinstance(expected, str) and expected not in [h["reason"] for h in handoffs]:
        return f"expected handoff reason {expected}, got {', '.join(h['reason'] for h in handoffs)}"
    if isinstance(expected, dict):
        for key, value in expected.items():
            if not any(str(h.get(key)) == str(value) for h in handoffs):
                return f"expected handoff {key}={value}, got {handoffs}"
    return None


def _check_ticket(expected: Any, events: list[dict[str, Any]]) -> str | None:
    tickets = [e["detail"] for e in events if e["kind"] == "ticket"]
    if expected is False:
        return "expected no ticket, one was created" if tickets else None
    if not tickets:
        return "expected a complaint ticket, none was created"
    if isinstance(expected, dict):
        ticket = tickets[-1]
        for key, value in expected.items():
            if not _contains(ticket.get(key, ""), value, key):
                return f"ticket {key}: expected {value!r}, got {ticket.get(key)!r}"
    return None


def check_turn(result: TurnResult, slots_so_far: dict[str, Any]) -> None:
    """Fill `result.failures` from its expectations."""
    exp, fail = result.expect, result.failures.append
    if not result.reached:
        if exp:
            fail("not reached: the call had already ended")
        return
    if "intent" in exp and not set(as_list(exp["intent"])) & set(result.intents):
        fail(f"intent: expected {' or '.join(as_list(exp['intent']))}, got {', '.join(result.intents) or 'none'}"
             f" (heard {result.heard!r})")
    for phrase in as_list(exp.get("says", [])):
        if norm(phrase) not in norm(result.said):
            fail(f"says: expected {phrase!r} in {result.said!r}")
    for phrase in as_list(exp.get("not_says", [])):
        if norm(phrase) in norm(result.said):
            fail(f"not_says: {phrase!r} was said")
    for phrase in as_list(exp.get("heard", [])):
        if norm(phrase) not in norm(result.heard):
            fail(f"heard: expected {phrase!r} in the transcript {result.heard!r}")
    for name, value in (exp.get("slot") or {}).items():
        if name not in slots_so_far:
            fail(f"slot {name}: not set (slots: {slots_so_far})")
        elif not _contains(slots_so_far[name], value, name):
            fail(f"slot {name}: expected {value!r}, got {slots_so_far[name]!r}")
    if "handoff" in exp and (problem := _check_handoff(exp["handoff"], _handoffs(result.bot_turns))):
        fail(problem)
    if "ticket" in exp and (problem := _check_ticket(exp["ticket"], result.events)):
        fail(problem)
    kinds = [e["kind"] for e in result.events]
    for kind in as_list(exp.get("event", [])):
        if kind not in kinds:
            fail(f"event: expected {kind}, got {', '.join(kinds) or 'none'}")
    if "ended" in exp and exp["ended"] != result.bot_hung_up:
        fail("expected the bot to hang up" if exp["ended"] else "the bot hung up unexpectedly")
    if "interrupted" in exp and exp["interrupted"] != result.interrupted:
        fail("expected the bot to stop talking (barge-in)" if exp["interrupted"]
             else "the bot stopped talking unexpectedly")
    if "reply" in exp and exp["reply"] != (result.reply_s > 0):
        fail("expected a spoken reply, heard nothing" if exp["reply"] else f"expected silence, heard {result.reply_s:.1f} s")
    limit = exp.get("max_latency_ms")
    if limit is not None and (result.latency_ms is None or result.latency_ms > limit):
        fail(f"latency {result.latency_ms} ms over {limit} ms")


def check_call(expect: dict[str, Any], record: dict[str, Any] | None, bot_hung_up: bool) -> list[str]:
    """Whole-call expectations (outcome, end reason, handoff, ticket, events)."""
    if record is None:
        return ["the bot's call record was not available"]
    failures = []
    call = record["call"]
    for key in ("outcome", "end_reason"):
        if key in expect and call.get(key) != expect[key]:
            failures.append(f"{key}: expected {expect[key]}, got {call.get(key)}")
    if "ended" in expect and expect["ended"] != bot_hung_up:
        failures.append("expected the bot to end the call" if expect["ended"] else "the bot ended the call")
    handoffs = _handoffs(record["turns"])
    if "handoff" in expect and (problem := _check_handoff(expect["handoff"], handoffs)):
        failures.append(problem)
    if expect.get("no_handoff") and handoffs:
        failures.append(f"expected no handoff, got {handoffs[0]['reason']}")
    events = record.get("events", [])
    if "ticket" in expect and (problem := _check_ticket(expect["ticket"], events)):
        failures.append(problem)
    kinds = [e["kind"] for e in events]
    for kind in as_list(expect.get("event", [])):
        if kind not in kinds:
            failures.append(f"event: expected {kind}, got {', '.join(kinds) or 'none'}")
    return failures


def check_all(results: list[TurnResult], record: dict[str, Any] | None) -> None:
    """Match the record to the turns and check every turn's expectations."""
    if record is not None:
        assign(results, record)
    slots: dict[str, Any] = {}
    for result in results:
        for event in result.events:
            if event["kind"] == "slots":
                slots.update(event["detail"])
        if record is None and result.expect:
            result.failures.append("the bot's call record was not available")
            continue
        check_turn(result, dict(slots))
