"""A console server with seeded call history and escalation records, for the analytics tests.

Real parts: the call records file (SQLite), the escalation services on a SQLite store, the
aiohttp app with the console routes on 127.0.0.1.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from bot.bench.analytics_data import analytics_site, seed
from escalation.services import EscalationServices
from tests.escalation.helpers import open_services

FIRST_DAY = date(2026, 11, 1)
DAYS = 6


def epoch(*args: int) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


# Calls on the edges of the window 2026-11-02..2026-11-04: the first instant is in, the
# first instant after the last day is out.
EDGE_CALLS = [
    ("EDGE-in-start", "browser", epoch(2026, 11, 2), "escalated"),
    ("EDGE-in-end", "browser", epoch(2026, 11, 4, 23, 59, 59) + 0.9, "contained"),
    ("EDGE-out-end", "browser", epoch(2026, 11, 5), "escalated"),
    ("EDGE-out-start", "browser", epoch(2026, 11, 2) - 0.001, "abandoned"),
]


def add_edges(calls_db: Path, store_db: Path) -> None:
    """The edge calls, each with one caller turn, and for the escalated a handoff and a wrap-up."""
    with sqlite3.connect(calls_db) as db, sqlite3.connect(store_db) as store:
        for call_id, channel, at, outcome in EDGE_CALLS:
            db.execute("INSERT INTO calls VALUES (?,?,?,?,?,?,?,?)",
                       (call_id, channel, "+15550100", at, at + 60, outcome, "goodbye", 1))
            db.execute("INSERT INTO turns VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       (call_id, 1, at + 5, "text", "hi", "edge_intent", 0.9, "ok", None,
                        json.dumps({"response_ms": 4321.0}), 4321.0))
            if outcome == "escalated":
                db.execute("INSERT INTO events VALUES (?,?,?,?)",
                           (call_id, at + 6, "handoff", json.dumps({"reason": "edge_reason"})))
                record = {"call_id": call_id, "agent": "edge-agent", "handle_s": 100.0,
                          "channel": channel, "enqueued_at": at + 7, "created_at": at + 200}
                store.execute("INSERT INTO records(kind, id, created_at, data) VALUES (?,?,?,?)",
                              ("wrapup", call_id, at + 200, json.dumps(record)))


@dataclass
class Rig:
    base_url: str
    calls_db: Path
    store_db: Path
    services: EscalationServices


@asynccontextmanager
async def analytics_rig(tmp_path: Path, n_calls: int = 400) -> AsyncIterator[Rig]:
    calls_db, store_db = tmp_path / "calls.db", tmp_path / "esc.sqlite3"
    seed(calls_db, store_db, n_calls, FIRST_DAY, DAYS)
    add_edges(calls_db, store_db)
    services = await open_services(store="sqlite", sqlite_path=store_db, business_hours="always")
    await services.agents.add("sue", "sue-password", "supervisor", display_name="Sue Supervisor")
    await services.agents.add("alice", "alice-password", display_name="Alice Agent")
    try:
        async with analytics_site(calls_db, services) as base_url:
            yield Rig(base_url, calls_db, store_db, services)
    finally:
        await services.close()


def sql(path: Path, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """A direct query on a seeded file (what the report must agree with)."""
    with sqlite3.connect(path) as db:
        return db.execute(query, params).fetchall()
