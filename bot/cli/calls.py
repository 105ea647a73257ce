"""`voicebot calls`: list recent calls (outcome, turns, response latency) or show one call."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("calls", help="list recent calls", description=__doc__)
    parser.add_argument("call_id", nargs="?", help="show this call's turns")
    parser.add_argument("--limit", type=int, default=20, help="how many calls (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


async def _load(settings: Settings, call_id: str | None, limit: int) -> Any:
    from bot.call.records import CallRecords

    path = settings.path(settings.paths.data_dir) / "calls.db"
    if not settings.records.url and not path.exists():
        return None
    records = await CallRecords(path, settings.records.url).open()
    try:
        if call_id:
            call = await records.get(call_id)
            return {"call": call, "turns": await records.transcript(call_id)} if call else {}
        return await records.recent(limit)
    finally:
        await records.close()


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def run(args: argparse.Namespace, settings: Settings) -> int:
    data = asyncio.run(_load(settings, args.call_id, args.limit))
    if data is None:
        print("no calls recorded yet (the bot writes var/calls.db when it takes its first call)")
        return 0
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    if args.call_id:
        if not data:
            print(f"voicebot calls: no call {args.call_id}")
            return 1
        call = data["call"]
        print(f"{call['call_id']}  {call['channel']}  {call['caller'] or '-'}  "
              f"{_when(call['started_at'])}  {call['outcome'] or 'in progress'} ({call['end_reason'] or '-'})")
        for turn in data["turns"]:
            latency = turn["latency"].get("response_ms")
            print(f"  {turn['idx']:>2}. caller: {turn['user_text']}")
            print(f"      bot [{turn['intent'] or '-'} {turn['confidence'] or 0:.2f}"
                  f"{f', {latency:.0f} ms' if latency else ''}]: {turn['bot_text']}")
        return 0
    print(f"{'started':19}  {'channel':11}  {'outcome':10}  {'turns':>5}  call id")
    for call in data:
        print(f"{_when(call['started_at']):19}  {call['channel']:11}  "
              f"{call['outcome'] or 'live':10}  {call['turns']:>5}  {call['call_id']}")
    return 0
