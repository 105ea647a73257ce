"""The call records' side of the analytics report: aggregate queries, read-only, off the loop.

Calls are counted by when they started (UTC); a call's turns and events go with its start.
The queries lean on the indexes in `records.py` (calls by start and by channel and start,
events by call and kind, turns by their primary key).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from escalation.analytics import (
    DAY_S,
    HOUR_S,
    Window,
    day_label,
    hour_label,
    percentile,
    ratio,
    rounded,
)

OUTCOMES = ("contained", "escalated", "abandoned", "unfinished")  # unfinished: no end recorded
CALLER_INPUTS = ("text", "digits")
FALLBACK = "nlu_fallback"
NO_INTENT = "(none)"
TOP_INTENTS = 10


class CallStats:
    """Aggregates over the call records file. The queries run in worker threads, in parallel,
    each group on a read connection of its own (SQLite works without the GIL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._readers = [_Reader(path) for _ in QUERY_GROUPS]

    async def stats(self, window: Window) -> dict[str, Any]:
        """calls, outcomes, reasons, intents and latency of the window (see escalation.analytics)."""
        where, params = "c.started_at >= ? AND c.started_at < ?", [window.start, window.end]
        if window.channel:
            where += " AND c.channel = ?"
            params.append(window.channel)
        parts: dict[str, Any] = {}
        for found in await asyncio.gather(*(
                asyncio.to_thread(reader.run, group, window, where, params)
                for reader, group in zip(self._readers, QUERY_GROUPS))):
            parts.update(found)
        summary: dict[str, Any] = {}
        for name in [k for k in parts if k.startswith("summary_")]:
            summary.update(parts.pop(name))
        return {"channels": parts.pop("channels"), "summary": summary, **parts}

    def close(self) -> None:
        for reader in self._readers:
            reader.close()


class _Reader:
    """One read-only connection, used by one thread at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def run(self, queries: tuple[Query, ...], window: Window, where: str,
            params: list[Any]) -> dict[str, Any]:
        with self._lock:
            if self._conn is None:
                self._conn = sqlite3.connect(self.path, check_same_thread=False)
                self._conn.execute("PRAGMA query_only=ON")  # a reader beside the records' writer
                self._conn.execute("PRAGMA busy_timeout=5000")
            found: dict[str, Any] = {}
            for query in queries:
                found.update(query(self._conn, window, where, params))
            return found

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _volume(conn: sqlite3.Connection, window: Window, where: str, params: list[Any]) -> dict[str, Any]:
    """Calls per hour, and per day by outcome."""
    rows = conn.execute(
        f"SELECT CAST(c.started_at / {HOUR_S} AS INTEGER) AS h, COALESCE(c.outcome, 'unfinished'), "
        f"COUNT(*) FROM calls c WHERE {where} GROUP BY h, 2", params).fetchall()
    per_hour = dict.fromkeys(window.hours(), 0)
    per_day = {day: dict.fromkeys(OUTCOMES, 0) for day in window.days()}
    totals = dict.fromkeys(OUTCOMES, 0)
    for hour, outcome, n in rows:
        per_hour[hour_label(hour * HOUR_S)] += n
        bucket = outcome if outcome in totals else "unfinished"
        per_day[day_label(hour * HOUR_S)][bucket] += n
        totals[bucket] += n
    calls = sum(totals.values())
    return {
        "summary_volume": {"calls": calls, **totals,
                           **{f"{k}_rate": ratio(v, calls) for k, v in totals.items() if k != "unfinished"}},
        "calls_per_hour": [{"hour": h, "calls": n} for h, n in per_hour.items()],
        "outcomes_per_day": [{"day": d, **counts} for d, counts in per_day.items()],
    }


def _reasons(conn: sqlite3.Connection, window: Window, where: str, params: list[Any]) -> dict[str, Any]:
    rows = conn.execute(
        "SELECT COALESCE(json_extract(e.detail, '$.reason'), 'unspecified') AS reason, COUNT(*) "
        f"FROM calls c JOIN events e ON e.call_id = c.call_id AND e.kind = 'handoff' WHERE {where} "
        "GROUP BY reason ORDER BY 2 DESC, reason", params).fetchall()
    return {"escalation_reasons": [{"reason": r, "count": n} for r, n in rows]}


def _intents(conn: sqlite3.Connection, window: Window, where: str, params: list[Any]) -> dict[str, Any]:
    """Caller turns by intent; the fallback rate is the share not understood."""
    rows = conn.execute(
        f"SELECT COALESCE(t.intent, '{NO_INTENT}') AS intent, COUNT(*) FROM calls c "
        f"JOIN turns t ON t.call_id = c.call_id WHERE {where} "
        f"AND t.input_kind IN {CALLER_INPUTS!r} GROUP BY intent ORDER BY 2 DESC, intent",
        params).fetchall()
    turns = sum(n for _, n in rows)
    fallback = sum(n for intent, n in rows if intent in (FALLBACK, NO_INTENT))
    return {"summary_intents": {"caller_turns": turns, "fallback_turns": fallback,
                                "fallback_rate": ratio(fallback, turns)},
            "top_intents": [{"intent": i, "count": n} for i, n in rows[:TOP_INTENTS]]}


def _latency(conn: sqlite3.Connection, window: Window, where: str, params: list[Any]) -> dict[str, Any]:
    """Response latency (end of caller speech to first bot audio) p50/p95, per day and overall."""
    rows = conn.execute(
        f"SELECT CAST(c.started_at / {DAY_S} AS INTEGER), t.response_ms FROM calls c "
        f"JOIN turns t ON t.call_id = c.call_id WHERE {where} AND t.response_ms IS NOT NULL",
        params).fetchall()
    per_day: dict[int, list[float]] = {}
    for day, ms in rows:
        per_day.setdefault(day, []).append(ms)
    everything = sorted(ms for _, ms in rows)
    first_day = int(window.start // DAY_S)
    series = []
    for i, day in enumerate(window.days()):
        values = sorted(per_day.get(first_day + i, []))
        series.append({"day": day, "turns": len(values), "p50_ms": rounded(percentile(values, 50)),
                       "p95_ms": rounded(percentile(values, 95))})
    return {"summary_latency": {"latency_turns": len(everything),
                                "latency_p50_ms": rounded(percentile(everything, 50)),
                                "latency_p95_ms": rounded(percentile(everything, 95))},
            "latency_per_day": series}


def _channels(conn: sqlite3.Connection, window: Window, where: str, params: list[Any]) -> dict[str, Any]:
    """Every channel the records know (for the filter), whatever the window."""
    return {"channels": [row[0] for row in conn.execute("SELECT DISTINCT channel FROM calls ORDER BY channel")]}


Query = Callable[[sqlite3.Connection, Window, str, list[Any]], dict[str, Any]]
# Run side by side: the latency rows, the intent counts, and the rest.
QUERY_GROUPS: tuple[tuple[Query, ...], ...] = (
    (_latency,), (_intents,), (_volume, _reasons, _channels))
