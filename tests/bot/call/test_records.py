"""The call records file: an older file gains the analytics column, filled from what it holds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.call.records import CallRecords

OLD_TURNS = """CREATE TABLE turns (call_id TEXT NOT NULL, idx INTEGER NOT NULL, at REAL NOT NULL,
    input_kind TEXT NOT NULL, user_text TEXT NOT NULL, intent TEXT, confidence REAL,
    bot_text TEXT NOT NULL, handoff TEXT, latency TEXT NOT NULL, PRIMARY KEY (call_id, idx))"""


async def test_an_older_file_gets_response_ms_backfilled_and_new_turns_fill_it(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    with sqlite3.connect(path) as db:  # a file written before the column existed
        db.execute(OLD_TURNS)
        db.execute("INSERT INTO turns VALUES ('old', 1, 1.0, 'text', 'hi', 'greet', 0.9, 'hello', NULL, ?)",
                   (json.dumps({"response_ms": 812.5}),))
        db.execute("INSERT INTO turns VALUES ('old', 0, 0.5, 'event', '[call_start]', NULL, NULL, 'hello', "
                   "NULL, '{}')")
    records = await CallRecords(path).open()
    try:
        await records.call_started("new", "twilio", "+15550100")
        await records.turn("new", 1, "text", "my balance", "check_balance", 0.8, ["It is ..."], None,
                           {"response_ms": 640.0, "end_silence_ms": 500.0})
        turns = await records.transcript("new")
    finally:
        await records.close()
    with sqlite3.connect(path) as db:
        rows = dict(db.execute("SELECT call_id || idx, response_ms FROM turns").fetchall())
        indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert rows == {"old1": 812.5, "old0": None, "new1": 640.0}
    assert turns[0]["latency"]["response_ms"] == 640.0
    assert {"turns_stats", "calls_period", "calls_channel_period", "events_call_kind"} <= indexes
