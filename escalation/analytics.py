"""How the line is doing: one report over the call records and the escalation store.

The call records (the bot's SQLite file) answer calls, outcomes, escalation reasons, intents
and response latency through a `CallStatsSource` the bot provides; the escalation store
answers queue wait, abandonment in the queue and agent handle time. Days and hours are UTC.
"""

from __future__ import annotations

import asyncio
import csv
import io
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Protocol

from escalation.stores import EscalationStore

DEFAULT_DAYS = 7
MAX_DAYS = 366
DAY_S, HOUR_S = 86400, 3600


@dataclass(frozen=True)
class Window:
    """Whole UTC days from `first` to `last` (both included), optionally one channel."""

    first: date
    last: date
    channel: str | None = None

    @property
    def start(self) -> float:
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=timezone.utc).timestamp()

    @property
    def end(self) -> float:
        return self.start + ((self.last - self.first).days + 1) * DAY_S

    @classmethod
    def from_query(cls, query: Mapping[str, str], today: date | None = None) -> Window:
        """`from`, `to` (YYYY-MM-DD) and `channel` of a request; raises ValueError when bad."""
        today = today or datetime.now(timezone.utc).date()
        try:
            last = date.fromisoformat(query["to"]) if query.get("to") else today
            first = (date.fromisoformat(query["from"]) if query.get("from")
                     else last - timedelta(days=DEFAULT_DAYS - 1))
        except ValueError:
            raise ValueError("from and to must be dates: YYYY-MM-DD") from None
        if first > last:
            raise ValueError("from must not be after to")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValueError(f"at most {MAX_DAYS} days at a time")
        return cls(first, last, (query.get("channel") or "").strip()[:64] or None)

    def days(self) -> list[str]:
        return [(self.first + timedelta(days=i)).isoformat()
                for i in range((self.last - self.first).days + 1)]

    def hours(self) -> list[str]:
        return [hour_label(self.start + i * HOUR_S) for i in range(int((self.end - self.start) // HOUR_S))]


def day_label(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d")


def hour_label(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:00Z")


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) of sorted values, linear between ranks; None for none."""
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class CallStatsSource(Protocol):
    """The call records' side of the report (the bot's `bot.call.call_stats.CallStats`)."""

    async def stats(self, window: Window) -> dict[str, Any]:
        """summary, calls_per_hour, outcomes_per_day, escalation_reasons, top_intents,
        latency_per_day for the window."""


def queue_stats(window: Window, wrapups: list[dict[str, Any]],
                abandoned: list[dict[str, Any]]) -> dict[str, Any]:
    """Queue wait, abandonment in the queue and handle time from the store's records."""
    if window.channel:
        wrapups = [r for r in wrapups if r.get("channel") == window.channel]
        abandoned = [r for r in abandoned if r.get("channel") == window.channel]
    answered = [r for r in wrapups if r.get("handle_s") is not None]
    waits: dict[str, list[float]] = {d: [] for d in window.days()}
    gave_up: dict[str, list[float]] = {d: [] for d in window.days()}
    day_of = window.days()  # records_between kept the window: each record falls on one of them
    first_day = int(window.start // DAY_S)
    for r in answered:  # connected at = wrapped up at - handle time
        wait = float(r["created_at"]) - float(r["handle_s"]) - float(r.get("enqueued_at") or 0)
        waits[day_of[int(r["created_at"] // DAY_S) - first_day]].append(max(0.0, wait))
    for r in abandoned:
        gave_up[day_of[int(r["created_at"] // DAY_S) - first_day]].append(float(r.get("wait_s") or 0.0))
    per_day = []
    for day in window.days():
        w, a = sorted(waits[day]), sorted(gave_up[day])
        per_day.append({"day": day, "answered": len(w), "abandoned": len(a),
                        "wait_p50_s": rounded(percentile(w, 50)),
                        "abandoned_wait_p50_s": rounded(percentile(a, 50))})
    all_waits = sorted(x for v in waits.values() for x in v)
    all_gave_up = sorted(x for v in gave_up.values() for x in v)
    by_agent: dict[str, list[float]] = {}
    for r in answered:
        by_agent.setdefault(str(r.get("agent") or "?"), []).append(float(r["handle_s"]))
    agents = [{"agent": name, "calls": len(times), "mean_s": rounded(statistics.fmean(times)),
               "median_s": rounded(percentile(sorted(times), 50))}
              for name, times in sorted(by_agent.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    handles = sorted(float(r["handle_s"]) for r in answered)
    summary = {
        "queue_answered": len(all_waits), "queue_abandoned": len(all_gave_up),
        "queue_abandon_rate": ratio(len(all_gave_up), len(all_waits) + len(all_gave_up)),
        "queue_wait_p50_s": rounded(percentile(all_waits, 50)),
        "queue_wait_p95_s": rounded(percentile(all_waits, 95)),
        "abandoned_wait_p50_s": rounded(percentile(all_gave_up, 50)),
        "handle_time_p50_s": rounded(percentile(handles, 50)),
        "handle_time_mean_s": rounded(statistics.fmean(handles)) if handles else None,
    }
    return {"summary": summary, "queue_per_day": per_day, "handle_time_per_agent": agents}


class Analytics:
    """The report behind `/console/analytics`: call records and escalation store together."""

    def __init__(self, calls: CallStatsSource, store: EscalationStore) -> None:
        self.calls = calls
        self.store = store

    async def report(self, window: Window) -> dict[str, Any]:
        """Every number the page draws, for the window (the CSV holds the same)."""
        calls, wrapups, abandoned = await asyncio.gather(
            self.calls.stats(window),
            self.store.records_between("wrapup", window.start, window.end),
            self.store.records_between("abandoned", window.start, window.end))
        queue = await asyncio.to_thread(queue_stats, window, wrapups, abandoned)
        return {
            "window": {"from": window.first.isoformat(), "to": window.last.isoformat(),
                       "channel": window.channel, "timezone": "UTC"},
            "channels": calls.pop("channels"),
            "summary": {**calls.pop("summary"), **queue.pop("summary")},
            **calls, **queue,
        }


def report_csv(report: Mapping[str, Any]) -> str:
    """The report as rows of section, key, metric, value (the numbers of the JSON, one a row)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "metric", "value"])
    for name, value in report["window"].items():
        writer.writerow(["window", "", name, _cell(value)])
    for name, value in report["summary"].items():
        writer.writerow(["summary", "", name, _cell(value)])
    for section, rows in report.items():
        if section in ("window", "summary", "channels") or not isinstance(rows, list):
            continue
        for row in rows:
            key_field, *metrics = list(row)
            for metric in metrics:
                writer.writerow([section, _cell(row[key_field]), metric, _cell(row[metric])])
    return out.getvalue()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A leading =, +, - or @ would run as a formula when opened in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
