"""Call records: redacted transcript, events, intents, turn latency, outcome.

In an SQLite file (WAL) by default, or in PostgreSQL shared by several bot machines
(`records.url`); the schema and its migrations are in records_schema.py.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from bot.call.records_db import RecordsDb, open_records_db
from bot.call.records_schema import migrate
from escalation.redact import redact

log = logging.getLogger(__name__)


class CallRecords:
    """Append-only call history; every text is redacted before it is written."""

    def __init__(self, path: Path | None = None, url: str = "") -> None:
        """The SQLite file `path`, or the database `url` (see records_db.open_records_db)."""
        self.path = path
        self.url = url
        self._db: RecordsDb | None = None
        self.failed_writes = 0

    async def open(self) -> CallRecords:
        self._db = await open_records_db(self.url, self.path or Path("calls.db"))
        try:
            await migrate(self._db)
        except BaseException:
            await self._db.close()
            raise
        return self

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> RecordsDb:
        if self._db is None:
            raise RuntimeError("call records are not open")
        return self._db

    async def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        """One write; a failure (the shared database unreachable) is logged and counted, never
        raised: a call goes on without its record rather than fail."""
        db = self.db
        try:
            await db.execute(sql, params)
        except Exception as exc:
            self.failed_writes += 1
            log.warning("call records %s: a write failed (%d so far): %s", db.where,
                        self.failed_writes, exc)

    async def call_started(self, call_id: str, channel: str, caller: str) -> None:
        await self._write(
            "INSERT INTO calls (call_id, channel, caller, started_at) VALUES (?,?,?,?) "
            "ON CONFLICT (call_id) DO UPDATE SET channel = excluded.channel, "
            "caller = excluded.caller, started_at = excluded.started_at, ended_at = NULL, "
            "outcome = NULL, end_reason = NULL, turns = 0",
            (call_id, channel, caller, time.time()),
        )

    async def turn(self, call_id: str, idx: int, input_kind: str, user_text: str,
                   intent: str | None, confidence: float | None, bot_texts: list[str],
                   handoff: dict[str, str] | None, latency: dict[str, Any]) -> None:
        await self._write(
            "INSERT INTO turns (call_id, idx, at, input_kind, user_text, intent, confidence, "
            "bot_text, handoff, latency, response_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (call_id, idx) DO UPDATE SET at = excluded.at, "
            "input_kind = excluded.input_kind, user_text = excluded.user_text, "
            "intent = excluded.intent, confidence = excluded.confidence, "
            "bot_text = excluded.bot_text, handoff = excluded.handoff, "
            "latency = excluded.latency, response_ms = excluded.response_ms",
            (call_id, idx, time.time(), input_kind, redact(user_text), intent, confidence,
             redact(" ".join(bot_texts)), json.dumps(handoff) if handoff else None,
             json.dumps(latency), latency.get("response_ms")),
        )
        await self._write("UPDATE calls SET turns = turns + 1 WHERE call_id = ?", (call_id,))

    async def event(self, call_id: str, kind: str, /, **detail: Any) -> None:
        # Positional-only: a detail may itself carry a "call_id" (a complaint ticket does).
        text = redact(json.dumps(detail, default=str))
        await self._write("INSERT INTO events (call_id, at, kind, detail) VALUES (?,?,?,?)",
                              (call_id, time.time(), kind, text))

    async def call_ended(self, call_id: str, outcome: str, reason: str) -> None:
        await self._write(
            "UPDATE calls SET ended_at = ?, outcome = ?, end_reason = ? WHERE call_id = ?",
            (time.time(), outcome, reason, call_id),
        )

    async def _rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        return await self.db.rows(sql, params)

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
