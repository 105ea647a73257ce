"""The call records' side of the analytics report: aggregate queries, read-only, off the loop.

Calls are counted by when they started (UTC); a call's turns and events go with its start.
The queries read the covering indexes of `records.py` (ANALYTICS_INDEXES: calls by start and
by channel and start, turns by call with their intent and response time) and events by call
and kind.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from escalation.analytics import DAY_S, HOUR_S, Window, day_label, hour_label, ratio, rounded

OUTCOMES = ("contained", "escalated", "abandoned", "unfinished")  # unfinished: no end recorded
CALLER_INPUTS = ("text", "digits")
FALLBACK = "nlu_fallback"
NO_INTENT = "(none)"
TOP_INTENTS = 10
LATENCY_BIN_MS = 10  # latency percentiles are counted in bins this wide (binned_percentile)


class CallStats:
    """Aggregates over the call records file, through a read connection of its own, in a
    worker thread (one query at a time: on two cores, parallel queries only fought)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def stats(self, window: Window) -> dict[str, Any]:
        """calls, outcomes, reasons, intents and latency of the window (see escalation.analytics)."""
        return await asyncio.to_thread(self._stats, window)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _stats(self, window: Window) -> dict[str, Any]:
        where, params = "c.started_at >= ? AND c.started_at < ?", [window.start, window.end]
        if window.channel:
            where += " AND c.channel = ?"
            params.append(window.channel)
        parts: dict[str, Any] = {}
        with self._lock:
            if self._conn is None:
                self._conn = sqlite3.connect(self.path, check_same_thread=False)
                self._conn.execute("PRAGMA query_only=ON")  # a reader beside the records' writer
                self._conn.execute("PRAGMA busy_timeout=5000")
            for query in QUERIES:
                parts.update(query(self._conn, window, where, params))
        summary: dict[str, Any] = {}
        for name in [k for k in parts if k.startswith("summary_")]:
            summary.update(parts.pop(name))
        return {"channels": parts.pop("channels"), "summary": summary, **parts}


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
    """Response latency (end of caller speech to first bot audio) p50/p95, per day and overall,
    from LATENCY_BIN_MS bins counted in SQL (a month's turns never cross into Python)."""
    rows = conn.execute(
        f"SELECT CAST(c.started_at / {DAY_S} AS INTEGER) AS d, "
        f"CAST(t.response_ms / {LATENCY_BIN_MS} AS INTEGER) AS b, COUNT(*) FROM calls c "
        f"JOIN turns t ON t.call_id = c.call_id WHERE {where} AND t.response_ms IS NOT NULL "
        "GROUP BY d, b ORDER BY d, b", params).fetchall()
    per_day: dict[int, list[tuple[int, int]]] = {}
    everything: dict[int, int] = {}
    for day, bin_, n in rows:
        per_day.setdefault(day, []).append((bin_, n))
        everything[bin_] = everything.get(bin_, 0) + n
    first_day = int(window.start // DAY_S)
    series = []
    for i, day in enumerate(window.days()):
        bins = per_day.get(first_day + i, [])
        series.append({"day": day, "turns": sum(n for _, n in bins),
                       "p50_ms": rounded(binned_percentile(bins, 50)),
                       "p95_ms": rounded(binned_percentile(bins, 95))})
    overall = sorted(everything.items())
    return {"summary_latency": {"latency_turns": sum(everything.values()),
                                "latency_p50_ms": rounded(binned_percentile(overall, 50)),
                                "latency_p95_ms": rounded(binned_percentile(overall, 95))},
            "latency_per_day": series}


def binned_percentile(bins: list[tuple[int, int]], q: float) -> float | None:
    """The q-th percentile of values counted in sorted LATENCY_BIN_MS bins (bin, count).

    Exact percentiles interpolate between the values at ranks k and k + 1 (k = the floor of
    (n - 1) q / 100); this estimate lies in the bin of the value at rank k, so it is never
    more than one bin below that value nor above the next one."""
    total = sum(n for _, n in bins)
    if not total:
        return None
    k = int((total - 1) * q / 100.0)
    seen = 0
    for bin_, n in bins:
        if seen + n > k:
            return (bin_ + (k - seen + 0.5) / n) * LATENCY_BIN_MS
        seen += n
    return None  # not reached: the counts add up to total


def _channels(conn: sqlite3.Connection, window: Window, where: str, params: list[Any]) -> dict[str, Any]:
    """Every channel the records know (for the filter), whatever the window."""
    return {"channels": [row[0] for row in conn.execute("SELECT DISTINCT channel FROM calls ORDER BY channel")]}


Query = Callable[[sqlite3.Connection, Window, str, list[Any]], dict[str, Any]]
QUERIES: tuple[Query, ...] = (_volume, _reasons, _intents, _latency, _channels)
