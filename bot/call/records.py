"""Call records in SQLite (WAL): redacted transcript, events, intents, turn latency, outcome."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import aiosqlite

from escalation.redact import redact

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    call_id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    caller TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    ended_at REAL,
    outcome TEXT,
    end_reason TEXT,
    turns INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS turns (
    call_id TEXT NOT NULL REFERENCES calls(call_id),
    idx INTEGER NOT NULL,
    at REAL NOT NULL,
    input_kind TEXT NOT NULL,
    user_text TEXT NOT NULL,
    intent TEXT,
    confidence REAL,
    bot_text TEXT NOT NULL,
    handoff TEXT,
    latency TEXT NOT NULL,
    response_ms REAL,
    PRIMARY KEY (call_id, idx)
);
CREATE TABLE IF NOT EXISTS events (
    call_id TEXT NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_started ON calls(started_at);
CREATE INDEX IF NOT EXISTS events_call_kind ON events(call_id, kind);
"""
# Covering indexes of the analytics queries (bot/call/call_stats.py): a month of calls is read
# from the indexes alone. Made after MIGRATIONS, which add the columns they cover.
ANALYTICS_INDEXES = """
CREATE INDEX IF NOT EXISTS calls_period ON calls(started_at, channel, outcome, call_id);
CREATE INDEX IF NOT EXISTS calls_channel_period ON calls(channel, started_at, outcome, call_id);
CREATE INDEX IF NOT EXISTS turns_stats ON turns(call_id, input_kind, intent, response_ms);
"""
# Columns added since the first schema: (table, column, type, backfill expression).
MIGRATIONS = [("turns", "response_ms", "REAL", "json_extract(latency, '$.response_ms')")]


class CallRecords:
    """Append-only call history; every text is redacted before it is written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> CallRecords:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.executescript(SCHEMA)
        await self._migrate()
        await self._db.executescript(ANALYTICS_INDEXES)
        await self._db.commit()
        return self

    async def _migrate(self) -> None:
        """Add the columns an older file lacks, filled from what it already holds."""
        for table, column, kind, backfill in MIGRATIONS:
            async with self.db.execute(f"PRAGMA table_info({table})") as cursor:
                if any(row[1] == column for row in await cursor.fetchall()):
                    continue
            await self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            await self.db.execute(f"UPDATE {table} SET {column} = {backfill}")

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("call records are not open")
        return self._db

    async def call_started(self, call_id: str, channel: str, caller: str) -> None:
        await self.db.execute(
            "INSERT OR REPLACE INTO calls (call_id, channel, caller, started_at) VALUES (?,?,?,?)",
            (call_id, channel, caller, time.time()),
        )
        await self.db.commit()

    async def turn(self, call_id: str, idx: int, input_kind: str, user_text: str,
                   intent: str | None, confidence: float | None, bot_texts: list[str],
                   handoff: dict[str, str] | None, latency: dict[str, Any]) -> None:
        await self.db.execute(
            "INSERT OR REPLACE INTO turns (call_id, idx, at, input_kind, user_text, intent, "
            "confidence, bot_text, handoff, latency, response_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (call_id, idx, time.time(), input_kind, redact(user_text), intent, confidence,
             redact(" ".join(bot_texts)), json.dumps(handoff) if handoff else None,
             json.dumps(latency), latency.get("response_ms")),
        )
        await self.db.execute("UPDATE calls SET turns = turns + 1 WHERE call_id = ?", (call_id,))
        await self.db.commit()

    async def event(self, call_id: str, kind: str, /, **detail: Any) -> None:
        # Positional-only: a detail may itself carry a "call_id" (a complaint ticket does).
        text = redact(json.dumps(detail, default=str))
        await self.db.execute("INSERT INTO events VALUES (?,?,?,?)", (call_id, time.time(), kind, text))
        await self.db.commit()

    async def call_ended(self, call_id: str, outcome: str, reason: str) -> None:
        await self.db.execute(
            "UPDATE calls SET ended_at = ?, outcome = ?, end_reason = ? WHERE call_id = ?",
            (time.time(), outcome, reason, call_id),
        )
        await self.db.commit()

    async def _rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        self.db.row_factory = aiosqlite.Row
        async with self.db.execute(sql, params) as cursor:
            return [dict(row) for row in await cursor.fetchall()]

    async def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        return await self._rows("SELECT * FROM calls ORDER BY started_at DESC LIMIT ?", (limit,))

    async def get(self, call_id: str) -> dict[str, Any] | None:
        """One call's row, by its id (the primary key)."""
        rows = await self._rows("SELECT * FROM calls WHERE call_id = ?", (call_id,))
        return rows[0] if rows else None

    async def events(self, call_id: str) -> list[dict[str, Any]]:
        """A call's events (handoff, ticket, slots, barge_in, ...) in order, detail decoded."""
        rows = await self._rows(
            "SELECT at, kind, detail FROM events WHERE call_id = ? ORDER BY at", (call_id,))
        for row in rows:
            row["detail"] = json.loads(row["detail"])
        return rows

    async def transcript(self, call_id: str) -> list[dict[str, Any]]:
        rows = await self._rows("SELECT * FROM turns WHERE call_id = ? ORDER BY idx", (call_id,))
        for row in rows:
            row["latency"] = json.loads(row["latency"])
            row["handoff"] = json.loads(row["handoff"]) if row["handoff"] else None
        return rows

    async def turns_between(self, since: float, until: float, limit: int = 20000) -> list[dict[str, Any]]:
        """Every turn recorded in [since, until), with its call's channel, in call and turn
        order (the Review page finds the misunderstood ones among them)."""
        rows = await self._rows(
            "SELECT t.call_id, t.idx, t.at, t.input_kind, t.user_text, t.intent, t.confidence, "
            "t.bot_text, t.handoff, c.channel FROM turns t JOIN calls c ON c.call_id = t.call_id "
            "WHERE t.at >= ? AND t.at < ? ORDER BY c.started_at, t.call_id, t.idx LIMIT ?",
            (since, until, limit))
        for row in rows:
            row["handoff"] = json.loads(row["handoff"]) if row["handoff"] else None
        return rows
