"""Where call records live: an embedded SQLite file (the default) or a shared PostgreSQL.

Both engines run the same SQL: `?` placeholders (numbered for asyncpg), `INSERT ... ON
CONFLICT`, and the few spellings that differ come from the engine (`json_field`, `floor`).
Several bot machines write one PostgreSQL database, so `voicebot calls`, the console and
the analytics see every machine's calls.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any, Protocol

import aiosqlite


class RecordsDb(Protocol):
    """One connection (or pool) to the records database."""

    engine: str  # "sqlite" or "postgresql"
    where: str  # the file or the database, for messages (no password)

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Run one statement and commit it."""

    async def script(self, statements: list[str]) -> None:
        """Run statements in one transaction (a migration; on PostgreSQL one machine at a time)."""

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]: ...

    async def read_only_rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only (analytics) query, kept off the writer's connection."""

    def json_field(self, column: str, key: str) -> str:
        """SQL for the text value of `key` in a JSON text column."""

    def floor(self, expression: str) -> str:
        """SQL for the integer floor of a non-negative number."""

    async def close(self) -> None: ...


class SqliteRecordsDb:
    """A WAL SQLite file; analytics read through a query-only connection in a worker thread."""

    engine = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        self._db: aiosqlite.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()

    async def open(self) -> SqliteRecordsDb:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path)
        self._db.row_factory = aiosqlite.Row
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        return self

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("call records are not open")
        return self._db

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        await self.db.execute(sql, params)
        await self.db.commit()

    async def script(self, statements: list[str]) -> None:
        for statement in statements:
            await self.db.execute(statement)
        await self.db.commit()

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async with self.db.execute(sql, params) as cursor:
            return [dict(row) for row in await cursor.fetchall()]

    async def read_only_rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return await asyncio.to_thread(self._read, sql, params)

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        # One query at a time: on two cores, parallel analytics queries only fought.
        with self._reader_lock:
            if self._reader is None:
                self._reader = sqlite3.connect(self.path, check_same_thread=False)
                self._reader.execute("PRAGMA query_only=ON")  # a reader beside the writer
                self._reader.execute("PRAGMA busy_timeout=5000")
            return self._reader.execute(sql, params).fetchall()

    def json_field(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    def floor(self, expression: str) -> str:
        return f"CAST({expression} AS INTEGER)"

    def close_reader(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    async def close(self) -> None:
        await asyncio.to_thread(self.close_reader)  # waits for a query in flight
        if self._db is not None:
            await self._db.close()
            self._db = None


_PLACEHOLDER = re.compile(r"\?")
CONNECT_TIMEOUT_S = 3.0
COMMAND_TIMEOUT_S = 3.0


def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's $1, $2, ... (our SQL has no `?` inside literals)."""
    count = iter(range(1, 1000))
    return _PLACEHOLDER.sub(lambda _: f"${next(count)}", sql)


class PostgresRecordsDb:
    """A pool of asyncpg connections to one database that several bot machines share."""

    engine = "postgresql"

    def __init__(self, url: str, pool_size: int = 4) -> None:
        self.url = url
        self.where = re.sub(r"//[^@/]*@", "//", url)  # no credentials in messages
        self.pool_size = pool_size
        self._pool: Any = None

    async def open(self) -> PostgresRecordsDb:
        import asyncpg  # only where PostgreSQL is configured

        # Short timeouts: a call waits on its record's writes, and an unreachable database
        # must cost it seconds at most, never the driver's default minute.
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=self.pool_size,
                                               timeout=CONNECT_TIMEOUT_S, command_timeout=COMMAND_TIMEOUT_S)
        return self

    @property
    def pool(self) -> Any:
        if self._pool is None:
            raise RuntimeError("call records are not open")
        return self._pool

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        await self.pool.execute(numbered(sql), *params)

    async def script(self, statements: list[str]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(7201820)")  # this schema's lock
            for statement in statements:
                await conn.execute(statement)

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in await self.pool.fetch(numbered(sql), *params)]

    async def read_only_rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self.pool.fetch(numbered(sql), *params)]

    def json_field(self, column: str, key: str) -> str:
        return f"(({column})::json ->> '{key}')"

    def floor(self, expression: str) -> str:
        return f"FLOOR({expression})::bigint"

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def open_records_db(url: str, default_path: Path) -> RecordsDb:
    """The configured records database: "" (the SQLite file `default_path`), `sqlite:///path`
    or `postgresql://user:password@host/db`."""
    if url.startswith(("postgresql://", "postgres://")):
        return await PostgresRecordsDb(url).open()
    if url.startswith("sqlite:///"):
        return await SqliteRecordsDb(Path(url[len("sqlite:///"):])).open()
    if url:
        raise ValueError(f"records.url {url!r}: use postgresql://..., sqlite:///path, or empty")
    return await SqliteRecordsDb(default_path).open()
