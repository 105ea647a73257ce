"""The call records' side of the analytics report: aggregate queries, read-only, off the loop.

Calls are counted by when they started (UTC); a call's turns and events go with its start.
The queries read the covering indexes of `records.py` (ANALYTICS_INDEXES: calls by start and
by channel and start, turns by call with their intent and response time) and events by call
and kind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.call.records_db import RecordsDb, SqliteRecordsDb
from escalation.analytics import DAY_S, HOUR_S, Window, day_label, hour_label, ratio, rounded

OUTCOMES = ("contained", "escalated", "abandoned", "unfinished")  # unfinished: no end recorded
CALLER_INPUTS = ("text", "digits")
FALLBACK = "nlu_fallback"
NO_INTENT = "(none)"
TOP_INTENTS = 10
LATENCY_BIN_MS = 10  # latency percentiles are counted in bins this wide (binned_percentile)


class CallStats:
    """Aggregates over the call records, on either engine. Given a path, it reads that SQLite
    file through a query-only connection of its own in a worker thread."""

    def __init__(self, source: Path | RecordsDb) -> None:
        self._owned = isinstance(source, Path)
        self.db: RecordsDb = SqliteRecordsDb(source) if isinstance(source, Path) else source

    async def stats(self, window: Window) -> dict[str, Any]:
        """calls, outcomes, reasons, intents and latency of the window (see escalation.analytics)."""
        where, params = "c.started_at >= ? AND c.started_at < ?", [window.start, window.end]
        if window.channel:
            where += " AND c.channel = ?"
            params.append(window.channel)
        parts: dict[str, Any] = {}
        for query in QUERIES:
            parts.update(await query(self.db, window, where, params))
        summary: dict[str, Any] = {}
        for name in [k for k in parts if k.startswith("summary_")]:
            summary.update(parts.pop(name))
        return {"channels": parts.pop("channels"), "summary": summary, **parts}

    def close(self) -> None:
        """Close the reader this object opened (a records database given to it is its owner's)."""
        if self._owned and isinstance(self.db, SqliteRecordsDb):
            self.db.close_reader()


async def _volume(db: RecordsDb, window: Window, where: str, params: list[Any]) -> dict[str, Any]:
    """Calls per hour, and per day by outcome."""
    rows = await db.read_only_rows(
        f"SELECT {db.floor(f'c.started_at / {HOUR_S}')} AS h, COALESCE(c.outcome, 'unfinished'), "
        f"COUNT(*) FROM calls c WHERE {where} GROUP BY 1, 2", tuple(params))
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


async def _reasons(db: RecordsDb, window: Window, where: str, params: list[Any]) -> dict[str, Any]:
    rows = await db.read_only_rows(
        f"SELECT COALESCE({db.json_field('e.detail', 'reason')}, 'unspecified') AS reason, COUNT(*) "
        f"FROM calls c JOIN events e ON e.call_id = c.call_id AND e.kind = 'handoff' WHERE {where} "
        "GROUP BY 1 ORDER BY 2 DESC, 1", tuple(params))
    return {"escalation_reasons": [{"reason": r, "count": n} for r, n in rows]}


async def _intents(db: RecordsDb, window: Window, where: str, params: list[Any]) -> dict[str, Any]:
    """Caller turns by intent; the fallback rate is the share not understood."""
    rows = await db.read_only_rows(
        f"SELECT COALESCE(t.intent, '{NO_INTENT}') AS intent, COUNT(*) FROM calls c "
        f"JOIN turns t ON t.call_id = c.call_id WHERE {where} "
        f"AND t.input_kind IN {CALLER_INPUTS!r} GROUP BY 1 ORDER BY 2 DESC, 1", tuple(params))
    turns = sum(n for _, n in rows)
    fallback = sum(n for intent, n in rows if intent in (FALLBACK, NO_INTENT))
    return {"summary_intents": {"caller_turns": turns, "fallback_turns": fallback,
                                "fallback_rate": ratio(fallback, turns)},
            "top_intents": [{"intent": i, "count": n} for i, n in rows[:TOP_INTENTS]]}


async def _latency(db: RecordsDb, window: Window, where: str, params: list[Any]) -> dict[str, Any]:
    """Response latency (end of caller speech to first bot audio) p50/p95, per day and overall,
    from LATENCY_BIN_MS bins counted in SQL (a month's turns never cross into Python)."""
    rows = await db.read_only_rows(
        f"SELECT {db.floor(f'c.started_at / {DAY_S}')} AS d, "
        f"{db.floor(f't.response_ms / {LATENCY_BIN_MS}')} AS b, COUNT(*) FROM calls c "
        f"JOIN turns t ON t.call_id = c.call_id WHERE {where} AND t.response_ms IS NOT NULL "
        "GROUP BY 1, 2 ORDER BY 1, 2", tuple(params))
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


async def _channels(db: RecordsDb, window: Window, where: str, params: list[Any]) -> dict[str, Any]:
    """Every channel the records know (for the filter), whatever the window."""
    rows = await db.read_only_rows("SELECT DISTINCT channel FROM calls ORDER BY channel")
    return {"channels": [row[0] for row in rows]}


Query = Callable[[RecordsDb, Window, str, list[Any]], Awaitable[dict[str, Any]]]
QUERIES: tuple[Query, ...] = (_volume, _reasons, _intents, _latency, _channels)
