"""`voicebot bench analytics`: how long the analytics page's report takes on a month of calls.

Generates a month of realistic call records (20,000 calls with their turns and events) and
the escalation store's wrap-ups and queue abandonments into a temporary directory, then times
`Analytics.report` (every number the page draws) as `/api/analytics` runs it: cold (new
connections, SQLite's page cache empty; the files are in the OS cache) and warm (connections
reused), for the whole month, the month on one channel, and one day.
Acceptance: the month answers in under 300 ms (warm median and p95).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.bench.report import add_json_argument, emit, summary

ACCEPTANCE_MS = 300.0
FIRST_DAY = date(2026, 11, 1)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "analytics", help="analytics report time on a generated month of calls",
        description="Time the analytics report (call records + escalation store) on generated records.",
    )
    add_json_argument(parser)
    parser.add_argument("--calls", type=int, default=20000, help="calls to generate (20000)")
    parser.add_argument("--days", type=int, default=30, help="days they span (30)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per case, cold and warm (9)")
    parser.set_defaults(func=run)


async def _open(tmp: Path) -> tuple[Any, Any]:
    from bot.call.call_stats import CallStats
    from escalation.analytics import Analytics
    from escalation.stores.sqlite import SqliteStore

    store = await SqliteStore.open(tmp / "escalation.sqlite3")
    return Analytics(CallStats(tmp / "calls.db"), store), store


async def _close(analytics: Any, store: Any) -> None:
    analytics.calls.close()
    await store.close()


async def _time(tmp: Path, window: Any, runs: int) -> dict[str, Any]:
    cold, warm = [], []
    for _ in range(runs):  # cold: fresh connections each time
        analytics, store = await _open(tmp)
        t0 = time.perf_counter()
        report = await analytics.report(window)
        cold.append((time.perf_counter() - t0) * 1000)
        await _close(analytics, store)
    analytics, store = await _open(tmp)
    await analytics.report(window)  # warm the connections once
    for _ in range(runs):
        t0 = time.perf_counter()
        report = await analytics.report(window)
        warm.append((time.perf_counter() - t0) * 1000)
    await _close(analytics, store)
    return {"cold_ms": summary(cold), "warm_ms": summary(warm), "calls": report["summary"]["calls"],
            "cold_all_ms": cold, "warm_all_ms": warm}


def _bench(args: argparse.Namespace) -> dict[str, Any]:
    from bot.bench.analytics_data import seed
    from escalation.analytics import Window

    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as name:
        tmp = Path(name)
        t0 = time.perf_counter()
        seeded = seed(tmp / "calls.db", tmp / "escalation.sqlite3", args.calls, FIRST_DAY, args.days)
        seed_s = time.perf_counter() - t0
        sizes = {p.name: p.stat().st_size for p in tmp.iterdir()}
        last = FIRST_DAY + timedelta(days=args.days - 1)
        cases = {"month, all channels": Window(FIRST_DAY, last),
                 "month, twilio": Window(FIRST_DAY, last, "twilio"),
                 "one day, all channels": Window(last, last)}
        results = {case: asyncio.run(_time(tmp, window, args.runs)) for case, window in cases.items()}
    return {"seeded": vars(seeded),
            "seed_s": seed_s, "file_bytes": sizes, "cases": results}


def run(args: argparse.Namespace, settings: Any) -> int:
    result = _bench(args)
    rows = []
    for case, r in result["cases"].items():
        rows.append([case, r["calls"], r["cold_ms"]["median"], r["cold_ms"]["p95"],
                     r["warm_ms"]["median"], r["warm_ms"]["p95"],
                     "yes" if r["warm_ms"]["p95"] < ACCEPTANCE_MS else "NO"])
    s = result["seeded"]
    print(f"generated {s['calls']} calls, {s['turns']} turns, {s['events']} events, {s['wrapups']} "
          f"wrap-ups, {s['abandoned_in_queue']} abandoned in queue in {result['seed_s']:.1f} s; "
          f"{args.runs} runs per case\n")
    emit("analytics report", ["window", "calls", "cold median ms", "cold p95 ms", "warm median ms",
                              "warm p95 ms", "warm p95 < 300 ms"],
         rows, args.json, {**result, "runs": args.runs, "acceptance_ms": ACCEPTANCE_MS,
                           "mean_warm_month_ms": statistics.fmean(
                               result["cases"]["month, all channels"]["warm_all_ms"])})
    month = result["cases"]["month, all channels"]["warm_ms"]
    return 0 if month["p95"] < ACCEPTANCE_MS else 1
