"""The call records schema, one list of numbered migrations for SQLite and PostgreSQL.

`schema_version` holds the last migration applied; `migrate` applies the newer ones in
order, each in one transaction. A new column or index is a new migration at the end of
MIGRATIONS (never an edit of an old one). A SQLite file written before migrations were
numbered is recognised by its columns and adopted at the version it already has.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.call.records_db import RecordsDb


@dataclass(frozen=True)
class Migration:
    version: int
    what: str
    sqlite: tuple[str, ...]
    postgresql: tuple[str, ...]

    def statements(self, engine: str) -> list[str]:
        return list(self.sqlite if engine == "sqlite" else self.postgresql)


def _tables(real: str) -> tuple[str, ...]:
    return (
        f"""CREATE TABLE IF NOT EXISTS calls (
            call_id TEXT PRIMARY KEY, channel TEXT NOT NULL, caller TEXT NOT NULL DEFAULT '',
            started_at {real} NOT NULL, ended_at {real}, outcome TEXT, end_reason TEXT,
            turns INTEGER NOT NULL DEFAULT 0)""",
        f"""CREATE TABLE IF NOT EXISTS turns (
            call_id TEXT NOT NULL REFERENCES calls(call_id), idx INTEGER NOT NULL,
            at {real} NOT NULL, input_kind TEXT NOT NULL, user_text TEXT NOT NULL, intent TEXT,
            confidence {real}, bot_text TEXT NOT NULL, handoff TEXT, latency TEXT NOT NULL,
            PRIMARY KEY (call_id, idx))""",
        f"""CREATE TABLE IF NOT EXISTS events (
            call_id TEXT NOT NULL, at {real} NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS calls_started ON calls(started_at)",
        "CREATE INDEX IF NOT EXISTS events_call_kind ON events(call_id, kind)",
    )


# Covering indexes of the analytics queries (bot/call/call_stats.py): a month of calls is
# read from the indexes alone.
_ANALYTICS_INDEXES = (
    "CREATE INDEX IF NOT EXISTS calls_period ON calls(started_at, channel, outcome, call_id)",
    "CREATE INDEX IF NOT EXISTS calls_channel_period ON calls(channel, started_at, outcome, call_id)",
    "CREATE INDEX IF NOT EXISTS turns_stats ON turns(call_id, input_kind, intent, response_ms)",
)

MIGRATIONS = (
    Migration(1, "calls, turns and events", _tables("REAL"), _tables("DOUBLE PRECISION")),
    Migration(2, "turns.response_ms, filled from the latency JSON",
              ("ALTER TABLE turns ADD COLUMN response_ms REAL",
               "UPDATE turns SET response_ms = json_extract(latency, '$.response_ms')"),
              ("ALTER TABLE turns ADD COLUMN IF NOT EXISTS response_ms DOUBLE PRECISION",
               "UPDATE turns SET response_ms = (latency::json ->> 'response_ms')::double precision "
               "WHERE response_ms IS NULL")),
    Migration(3, "covering indexes of the analytics", _ANALYTICS_INDEXES, _ANALYTICS_INDEXES),
)
LATEST = MIGRATIONS[-1].version


async def current_version(db: RecordsDb) -> int:
    """The schema version of the database (0: empty)."""
    await db.script(["CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"])
    rows = await db.rows("SELECT MAX(version) AS v FROM schema_version")
    if rows and rows[0]["v"] is not None:
        return int(rows[0]["v"])
    if db.engine == "sqlite":  # a file from before numbered migrations
        columns = {row["name"] for row in await db.rows("PRAGMA table_info(turns)")}
        if "response_ms" in columns:
            return 2
    return 0  # migration 1 only creates what is missing


async def migrate(db: RecordsDb) -> int:
    """Apply every migration newer than the database's version; returns the version reached.

    On PostgreSQL each migration takes an advisory lock and its statements are idempotent,
    so two machines starting together against one database both end at the same schema."""
    version = await current_version(db)
    for migration in MIGRATIONS:
        if migration.version > version:
            await db.script([*migration.statements(db.engine),
                             "DELETE FROM schema_version",
                             f"INSERT INTO schema_version VALUES ({migration.version})"])
            version = migration.version
    return version


def sqlite_script() -> str:
    """The latest schema as one SQLite script (for tools that write a records file directly)."""
    statements = [s for m in MIGRATIONS for s in m.sqlite if not s.startswith("UPDATE")]
    statements += ["CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
                   f"INSERT INTO schema_version VALUES ({LATEST})"]
    return ";\n".join(statements) + ";\n"
