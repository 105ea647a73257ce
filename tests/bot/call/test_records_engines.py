"""Call records on both engines: one schema, numbered migrations, the same answers from
SQLite and from a real PostgreSQL (records, `voicebot calls`' queries and the analytics)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.call.call_stats import CallStats
from bot.call.records import CallRecords
from bot.call.records_schema import LATEST
from escalation.analytics import Window


def _url(engine: str, tmp_path: Path, postgres_server) -> str:
    return postgres_server.new_database() if engine == "postgresql" else f"sqlite:///{tmp_path}/calls.db"


async def _a_day_of_calls(records: CallRecords) -> None:
    await records.call_started("c1", "twilio", "+15550100")
    await records.turn("c1", 1, "text", "my card number is 4111 1111 1111 1111", "lost_card", 0.9,
                       ["I am sorry to hear that."], None, {"response_ms": 612.0})
    await records.turn("c1", 2, "text", "a person please", None, None, ["Connecting you."],
                       {"reason": "caller_request"}, {"response_ms": 488.0})
    await records.event("c1", "handoff", reason="caller_request", call_id="c1")
    await records.call_ended("c1", "escalated", "handoff")
    await records.call_started("c2", "audiosocket", "")
    await records.turn("c2", 1, "digits", "1", "check_balance", 0.7, ["Your balance is ..."], None,
                       {"response_ms": 731.0})
    await records.call_ended("c2", "contained", "caller_hung_up")
    await records.call_started("c3", "twilio", "+15550101")  # still live


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_records_read_back_the_same_on_both_engines(engine, tmp_path, postgres_server) -> None:
    records = await CallRecords(url=_url(engine, tmp_path, postgres_server)).open()
    try:
        await _a_day_of_calls(records)
        recent = await records.recent(10)
        transcript = await records.transcript("c1")
        events = await records.events("c1")
        version = await records.db.rows("SELECT version FROM schema_version")
    finally:
        await records.close()
    assert [c["call_id"] for c in recent] == ["c3", "c2", "c1"]
    assert (recent[2]["outcome"], recent[2]["turns"], recent[0]["outcome"]) == ("escalated", 2, None)
    assert "4111 1111 1111 1111" not in transcript[0]["user_text"]  # redacted on both engines
    assert transcript[1]["handoff"] == {"reason": "caller_request"}
    assert transcript[0]["response_ms"] == 612.0 and transcript[0]["latency"] == {"response_ms": 612.0}
    assert events[0]["kind"] == "handoff" and events[0]["detail"]["reason"] == "caller_request"
    assert version == [{"version": LATEST}]


async def test_the_analytics_agree_on_sqlite_and_postgresql(tmp_path, postgres_server) -> None:
    today = datetime.now(timezone.utc).date()
    window = Window(today, today)
    answers = []
    for engine in ("sqlite", "postgresql"):
        records = await CallRecords(url=_url(engine, tmp_path, postgres_server)).open()
        try:
            await _a_day_of_calls(records)
            answers.append(await CallStats(records.db).stats(window))
        finally:
            await records.close()
    sqlite_stats, postgres_stats = answers
    assert sqlite_stats == postgres_stats
    assert sqlite_stats["summary"]["calls"] == 3 and sqlite_stats["summary"]["escalated"] == 1
    assert sqlite_stats["escalation_reasons"] == [{"reason": "caller_request", "count": 1}]
    assert sqlite_stats["channels"] == ["audiosocket", "twilio"]
    assert sqlite_stats["summary"]["latency_turns"] == 3


async def test_two_machines_starting_together_migrate_one_database_once(postgres_server) -> None:
    url = postgres_server.new_database()
    machines = await asyncio.gather(*(CallRecords(url=url).open() for _ in range(3)))
    try:
        await machines[0].call_started("a", "twilio", "")
        await machines[1].call_started("b", "twilio", "")
        seen = {c["call_id"] for c in await machines[2].recent()}
        versions = await machines[2].db.rows("SELECT version FROM schema_version")
    finally:
        for records in machines:
            await records.close()
    assert seen == {"a", "b"}
    assert versions == [{"version": LATEST}]


async def test_a_file_from_before_numbered_migrations_is_adopted(tmp_path) -> None:
    path = tmp_path / "calls.db"
    with sqlite3.connect(path) as db:  # the schema as the bot wrote it before schema_version
        db.execute("CREATE TABLE calls (call_id TEXT PRIMARY KEY, channel TEXT NOT NULL, caller TEXT "
                   "NOT NULL DEFAULT '', started_at REAL NOT NULL, ended_at REAL, outcome TEXT, "
                   "end_reason TEXT, turns INTEGER NOT NULL DEFAULT 0)")
        db.execute("CREATE TABLE turns (call_id TEXT, idx INTEGER, at REAL, input_kind TEXT, user_text "
                   "TEXT, intent TEXT, confidence REAL, bot_text TEXT, handoff TEXT, latency TEXT, "
                   "response_ms REAL, PRIMARY KEY (call_id, idx))")
        db.execute("INSERT INTO calls VALUES ('old', 'twilio', '', 1.0, 2.0, 'contained', 'x', 0)")
    records = await CallRecords(path).open()
    try:
        calls = await records.recent()
    finally:
        await records.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(LATEST,)]
    assert [c["call_id"] for c in calls] == ["old"]


async def test_an_unreachable_database_costs_a_call_its_record_not_the_call(tmp_path) -> None:
    from tests.postgres_server import PostgresServer

    server = PostgresServer().start()
    try:
        records = await CallRecords(url=server.new_database()).open()
        await records.call_started("before", "twilio", "")
    finally:
        server.stop()  # the shared database goes away under a running bot
    try:
        started = time.monotonic()
        await records.call_started("during", "twilio", "")
        await records.turn("during", 1, "text", "hello", None, None, ["Hi."], None, {})
        await records.call_ended("during", "contained", "goodbye")
        took = time.monotonic() - started
    finally:
        await asyncio.wait_for(records.close(), 10)
    assert records.failed_writes == 4  # started, the turn and its count, ended: logged, not raised
    assert took < 15, took  # bounded by the driver's short timeouts
