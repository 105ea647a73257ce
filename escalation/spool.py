"""A local durable spool for escalation records the store could not take (store unreachable).

A callback task or a ticket made while Redis (or the SQLite file) is unavailable is written
here - one small SQLite file on this machine's disk, synchronous=FULL - and delivered to the
store, with the same record id, once it answers again. Delivery is idempotent: a record put
twice (a crash between storing and forgetting it) overwrites itself.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from escalation.stores import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, record_id TEXT NOT NULL,
    data TEXT NOT NULL, spooled_at REAL NOT NULL);
"""


class Spool:
    """Records waiting for the store, oldest first; every change is on disk when it returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Spool:
        spool = cls(Path(path))
        try:
            await asyncio.to_thread(spool._connect)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"escalation spool {path}: {exc}") from exc
        return spool

    def _connect(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA)
        self._db = db

    async def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        assert self._db is not None, "spool is closed"
        db = self._db
        async with self._lock:
            try:
                return await asyncio.to_thread(lambda: db.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                raise StoreError(f"escalation spool {self.path}: {exc}") from exc

    async def add(self, kind: str, record_id: str, data: dict[str, Any]) -> None:
        """Keep one record of `kind` ("callback", "ticket"; "abandon": a queue entry to
        remove) until `remove` says it was done."""
        await self._run("INSERT INTO spool(kind, record_id, data, spooled_at) VALUES (?,?,?,?)",
                        (kind, record_id, json.dumps(data), time.time()))

    async def pending(self) -> list[tuple[int, str, str, dict[str, Any]]]:
        """(spool id, kind, record id, record), oldest first."""
        rows = await self._run("SELECT id, kind, record_id, data FROM spool ORDER BY id")
        return [(row[0], row[1], row[2], json.loads(row[3])) for row in rows]

    async def remove(self, spool_id: int) -> None:
        await self._run("DELETE FROM spool WHERE id=?", (spool_id,))

    async def count(self) -> int:
        return int((await self._run("SELECT COUNT(*) FROM spool"))[0][0])

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            async with self._lock:
                await asyncio.to_thread(db.close)
