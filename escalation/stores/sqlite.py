"""SQLite store: one database file in WAL mode, synchronous=FULL, through aiosqlite."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import aiosqlite

from escalation.models import ACTIVE_STATES, QueueEntry
from escalation.stores.base import StoreError, store_errors

SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
    call_id TEXT PRIMARY KEY, rank INTEGER NOT NULL, seq INTEGER NOT NULL,
    state TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS queue_order ON queue(state, rank, seq);
CREATE TABLE IF NOT EXISTS handle_times (
    id INTEGER PRIMARY KEY AUTOINCREMENT, seconds REAL NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL, created_at REAL NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE INDEX IF NOT EXISTS records_created ON records(kind, created_at);
"""


_store_errors = store_errors("escalation store sqlite", sqlite3.Error, OSError)


class SqliteStore:
    """The embedded default; one writer connection, every change committed before returning."""

    def __init__(self, db: aiosqlite.Connection, path: Path):
        self._db = db
        self.path = path
        # One connection: a lock keeps one coroutine's transaction free of another's statements.
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> SqliteStore:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(str(path), isolation_level=None)
            await db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit survives power loss too, not only a process crash.
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA busy_timeout=5000")
            await db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"escalation store sqlite {path}: {exc}") from exc
        return cls(db, path)

    async def close(self) -> None:
        await self._db.close()

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection, alone and inside BEGIN IMMEDIATE: committed when the block ends,
        rolled back when it raises (a cancellation too)."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        async with self._lock:
            cursor = await self._db.execute(sql, tuple(params))
            return cursor.rowcount

    async def _read(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        async with self._lock, self._db.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    @_store_errors
    async def enqueue(self, entry: QueueEntry) -> QueueEntry:
        entry.state = "waiting"
        async with self._transaction() as db:
            async with db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM queue") as cur:
                (entry.seq,) = await cur.fetchone()
            await db.execute(
                "INSERT OR REPLACE INTO queue(call_id, rank, seq, state, data) VALUES (?,?,?,?,?)",
                (entry.call_id, entry.rank, entry.seq, entry.state, entry.to_json()),
            )
        return entry

    @_store_errors
    async def get(self, call_id: str) -> QueueEntry | None:
        rows = await self._read("SELECT data FROM queue WHERE call_id=?", (call_id,))
        return QueueEntry.from_json(rows[0][0]) if rows else None

    async def _select(self, where: str, params: Iterable[Any] = ()) -> list[QueueEntry]:
        sql = f"SELECT data FROM queue WHERE {where} ORDER BY rank, seq"
        return [QueueEntry.from_json(row[0]) for row in await self._read(sql, params)]

    @_store_errors
    async def waiting(self) -> list[QueueEntry]:
        return await self._select("state='waiting'")

    @_store_errors
    async def active(self) -> list[QueueEntry]:
        marks = ",".join("?" * len(ACTIVE_STATES))
        return await self._select(f"state IN ({marks})", ACTIVE_STATES)

    async def _update(self, call_id: str, expect: Iterable[str], changes: dict[str, Any],
                      to_head: bool = False) -> QueueEntry | None:
        async with self._transaction() as db:
            async with db.execute("SELECT data FROM queue WHERE call_id=?", (call_id,)) as cur:
                row = await cur.fetchone()
            entry = QueueEntry.from_json(row[0]) if row else None
            if entry is None or entry.state not in set(expect):
                return None  # nothing written: the commit only ends the transaction
            for key, value in changes.items():
                setattr(entry, key, value)
            if to_head:
                entry.requeues += 1
                async with db.execute(
                    "SELECT MIN(seq) FROM queue WHERE state='waiting' AND rank=?", (entry.rank,)
                ) as cur:
                    (head,) = await cur.fetchone()
                entry.seq = min(entry.seq, head) - 1 if head is not None else entry.seq
            await db.execute(
                "UPDATE queue SET state=?, seq=?, data=? WHERE call_id=?",
                (entry.state, entry.seq, entry.to_json(), call_id),
            )
        return entry

    @_store_errors
    async def transition(self, call_id: str, expect: Iterable[str],
                         changes: dict[str, Any]) -> QueueEntry | None:
        return await self._update(call_id, expect, changes)

    @_store_errors
    async def requeue_head(self, call_id: str, expect: Iterable[str]) -> QueueEntry | None:
        changes = {"state": "waiting", "agent_id": None, "deadline": None, "connected_at": None}
        return await self._update(call_id, expect, changes, to_head=True)

    @_store_errors
    async def remove(self, call_id: str) -> QueueEntry | None:
        async with self._transaction() as db:
            async with db.execute("SELECT data FROM queue WHERE call_id=?", (call_id,)) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            await db.execute("DELETE FROM queue WHERE call_id=?", (call_id,))
        return QueueEntry.from_json(row[0])

    @_store_errors
    async def add_handle_time(self, seconds: float, keep: int = 50) -> None:
        async with self._transaction() as db:
            await db.execute("INSERT INTO handle_times(seconds) VALUES (?)", (float(seconds),))
            await db.execute(
                "DELETE FROM handle_times WHERE id <= (SELECT MAX(id) FROM handle_times) - ?", (keep,)
            )

    @_store_errors
    async def handle_times(self, n: int = 20) -> list[float]:
        sql = "SELECT seconds FROM handle_times ORDER BY id DESC LIMIT ?"
        return [row[0] for row in await self._read(sql, (n,))]

    @_store_errors
    async def put_record(self, kind: str, record_id: str, data: dict[str, Any]) -> None:
        await self._write(
            "INSERT OR REPLACE INTO records(kind, id, created_at, data) VALUES (?,?,?,?)",
            (kind, record_id, float(data.get("created_at", 0.0)), json.dumps(data)),
        )

    @_store_errors
    async def get_record(self, kind: str, record_id: str) -> dict[str, Any] | None:
        rows = await self._read("SELECT data FROM records WHERE kind=? AND id=?", (kind, record_id))
        return json.loads(rows[0][0]) if rows else None

    @_store_errors
    async def list_records(self, kind: str) -> list[dict[str, Any]]:
        sql = "SELECT data FROM records WHERE kind=? ORDER BY created_at, id"
        return [json.loads(row[0]) for row in await self._read(sql, (kind,))]

    @_store_errors
    async def records_between(self, kind: str, start: float, end: float) -> list[dict[str, Any]]:
        sql = ("SELECT data FROM records WHERE kind=? AND created_at>=? AND created_at<? "
               "ORDER BY created_at, id")
        rows = await self._read(sql, (kind, float(start), float(end)))
        return await asyncio.to_thread(lambda: [json.loads(row[0]) for row in rows])

    @_store_errors
    async def delete_record(self, kind: str, record_id: str) -> bool:
        return await self._write("DELETE FROM records WHERE kind=? AND id=?", (kind, record_id)) > 0

