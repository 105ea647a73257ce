"""Generated call history for the analytics benchmark, tests and screenshot.

Writes dated call records (calls, turns, events, in the schema of `bot/call/records.py`) and
escalation records (agent wrap-ups and calls abandoned in the queue, in the escalation
store's SQLite schema) straight into the files, in one transaction each: the services' own
writers stamp the current time, and a month of history needs its dates.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.call.records_schema import sqlite_script
from escalation.stores.sqlite import SCHEMA as STORE_SCHEMA

if TYPE_CHECKING:
    from escalation.services import EscalationServices

CHANNELS = {"twilio": 0.7, "audiosocket": 0.2, "browser": 0.1}
OUTCOMES = {"contained": 0.64, "escalated": 0.26, "abandoned": 0.097, None: 0.003}
REASONS = {"request_human": 0.45, "low_confidence": 0.2, "complaint": 0.15, "angry_caller": 0.08,
           "urgent_faq": 0.07, "out_of_scope": 0.04, "technical_error": 0.01}
INTENTS = ["card_arrival", "check_balance", "lost_or_stolen_card", "pending_transfer",
           "exchange_rate", "card_payment_fee_charged", "activate_my_card", "declined_card_payment",
           "change_pin", "top_up_failed", "transfer_not_received_by_recipient", "direct_debit_payment_not_recognised",
           "make_complaint", "request_human", "goodbye", "affirm"]
FALLBACK_SHARE = 0.08
# Calls by hour of day (UTC): a help line's day, quiet at night.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 18, 17, 15, 16, 17, 16, 14, 11, 8, 6, 4, 3, 2, 1]
AGENTS = [f"agent{i:02d}" for i in range(1, 13)]


@dataclass
class Seeded:
    """What was written (the benchmark reports it)."""

    calls: int = 0
    turns: int = 0
    events: int = 0
    wrapups: int = 0
    abandoned_in_queue: int = 0


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), list(weights.values()))[0]


def _latency(rng: random.Random) -> tuple[str, float]:
    """A turn's latency record and its response time (ms)."""
    response = round(rng.lognormvariate(6.75, 0.35), 1)  # median ~850 ms, end-of-speech silence included
    final = response * rng.uniform(0.2, 0.4)
    reply = final + rng.uniform(30, 120)
    return json.dumps({"final_transcript": round(final, 1), "dialogue_reply": round(reply, 1),
                       "first_audio_sent": round(response - 500, 1), "response_ms": response,
                       "end_silence_ms": 500.0}), response


def seed(calls_db: Path, store_db: Path | None, n_calls: int, first_day: date, days: int,
         rng_seed: int = 19) -> Seeded:
    """`n_calls` calls spread over `days` UTC days from `first_day`; escalations to `store_db`."""
    rng = random.Random(rng_seed)
    day0 = datetime(first_day.year, first_day.month, first_day.day, tzinfo=timezone.utc).timestamp()
    calls, turns, events, wrapups, abandoned = [], [], [], [], []
    for i in range(n_calls):
        call_id = f"CA{rng_seed:02d}{i:08d}"
        channel = _pick(rng, CHANNELS)
        outcome = _pick(rng, OUTCOMES)
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        started = day0 + rng.randrange(days) * 86400 + hour * 3600 + rng.uniform(0, 3599)
        n_turns = {"contained": rng.randint(2, 6), "escalated": rng.randint(1, 5),
                   "abandoned": rng.randint(0, 2), None: rng.randint(0, 3)}[outcome]
        at = started + 4.0
        turns.append((call_id, 0, started + 0.5, "event", "[call_start]", None, None,
                       "Hello, you are through to the bank. How can I help?", None, "{}", None))
        for idx in range(1, n_turns + 1):
            at += rng.uniform(6, 25)
            fallback = rng.random() < FALLBACK_SHARE
            intent = "nlu_fallback" if fallback else rng.choice(INTENTS)
            kind = "digits" if rng.random() < 0.08 else "text"
            turns.append((call_id, idx, at, kind, "[caller words]", intent,
                          round(rng.uniform(0.2, 0.45) if fallback else rng.uniform(0.6, 0.99), 3),
                          "[bot answer]", None, *_latency(rng)))
            if rng.random() < 0.15:
                events.append((call_id, at + 1, "barge_in", json.dumps({"why": "speech"})))
        if outcome == "escalated":
            reason = _pick(rng, REASONS)
            at += 2
            events.append((call_id, at, "handoff", json.dumps({"reason": reason, "priority": "normal"})))
            fate = rng.random()
            if fate < 0.8:
                wait, handle = rng.expovariate(1 / 45), rng.lognormvariate(5.5, 0.5)
                done = at + wait + handle + rng.uniform(5, 40)
                wrapups.append(("wrapup", call_id, done, json.dumps({
                    "call_id": call_id, "agent": rng.choice(AGENTS), "disposition": "resolved",
                    "handle_s": handle, "reason": reason, "channel": channel, "enqueued_at": at,
                    "created_at": done})))
                at = at + wait + handle
            elif fate < 0.95:
                wait = rng.expovariate(1 / 90)
                abandoned.append(("abandoned", call_id, at + wait, json.dumps({
                    "call_id": call_id, "channel": channel, "reason": reason, "enqueued_at": at,
                    "wait_s": wait, "created_at": at + wait})))
                at += wait
        elif outcome == "contained" and rng.random() < 0.3:
            events.append((call_id, at, "slots", json.dumps({"category": "cards"})))
        end_reason = {"contained": "goodbye", "escalated": "caller_hangup",
                      "abandoned": "caller_hangup", None: None}[outcome]
        calls.append((call_id, channel, f"+447946{i % 100000:05d}", started,
                      None if outcome is None else at + 3, outcome, end_reason, n_turns + 1))
    _write(calls_db, sqlite_script(), [
        ("INSERT INTO calls VALUES (?,?,?,?,?,?,?,?)", calls),
        ("INSERT INTO turns VALUES (?,?,?,?,?,?,?,?,?,?,?)", turns),
        ("INSERT INTO events VALUES (?,?,?,?)", events)])
    if store_db is not None:
        _write(store_db, STORE_SCHEMA, [
            ("INSERT OR REPLACE INTO records(kind, id, created_at, data) VALUES (?,?,?,?)",
             wrapups + abandoned)])
    return Seeded(len(calls), len(turns), len(events), len(wrapups), len(abandoned))


def _write(path: Path, schema: str, batches: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(schema)
        with conn:
            for sql, rows in batches:
                conn.executemany(sql, rows)
        conn.execute("PRAGMA optimize")
    finally:
        conn.close()


@asynccontextmanager
async def analytics_site(calls_db: Path, services: EscalationServices) -> AsyncIterator[str]:
    """The console with its analytics page over `calls_db`, on a free loopback port: yields
    its base URL (the tests' rig and the screenshot script)."""
    from aiohttp import web

    from bot.bench.server_proc import free_port
    from bot.call.call_stats import CallStats
    from escalation.analytics import Analytics
    from escalation.analytics_web import ANALYTICS_KEY
    from escalation.web import setup_escalation

    call_stats = CallStats(calls_db)
    app = web.Application()
    setup_escalation(app, services)
    app[ANALYTICS_KEY] = Analytics(call_stats, services.store)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        call_stats.close()
