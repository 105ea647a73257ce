"""`voicebot bench queue`: escalation queue throughput and enqueue-to-console delay.

For each store (SQLite file, Redis) side by side in one run: 200 callers wait, several
consoles are open as real WebSocket clients of a real aiohttp server on 127.0.0.1; then
new callers are queued one at a time and the delay until EVERY console has the entry is
measured. Enqueue and accept throughput are timed on the same store.
Acceptance: p95 enqueue-to-console delay under 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.bench.report import add_json_argument, emit, summary
from bot.bench.server_proc import free_port

ACCEPTANCE_P95_MS = 200.0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "queue", help="escalation queue throughput and console delay (SQLite vs Redis)",
        description="Enqueue/accept throughput and enqueue-to-console delay with callers waiting.",
    )
    add_json_argument(parser)
    parser.add_argument("--waiting", type=int, default=200, help="callers waiting (200)")
    parser.add_argument("--consoles", type=int, default=5, help="open agent consoles (5)")
    parser.add_argument("--samples", type=int, default=50, help="new callers timed to the consoles (50)")
    parser.add_argument("--stores", default="sqlite,redis", help="stores to compare (sqlite,redis)")
    parser.add_argument("--redis-url", help="use this Redis instead of starting a temporary redis-server")
    parser.set_defaults(func=run)


@contextlib.contextmanager
def _temporary_redis(workdir: Path):
    """A private redis-server (AOF, fsync always: the durable setting we recommend)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found: apt-get install redis-server, or pass --redis-url")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), "--appendonly", "yes",
         "--appendfsync", "always", "--save", "", "--logfile", "redis.log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(10)


def _context(call_id: str, i: int) -> dict[str, Any]:
    from escalation.context import build_context

    priority = ("urgent", "complaint", "normal", "normal")[i % 4]
    return build_context(
        call_id, f"+4479460{i:05d}", "twilio", "caller_request", priority, "card_arrival", 0.81,
        {"category": "cards", "account_reference": "12345678"},
        [("bot", "Hello, how can I help?"), ("caller", "my new card has not arrived yet"),
         ("bot", "Let me get a colleague for you.")],
    ).to_dict()


async def _console(session: Any, url: str, seen: dict[str, float], ready: asyncio.Event,
                   watch: dict[str, asyncio.Event], consoles: int) -> None:
    """One agent console: record when each new entry arrives."""
    async with session.ws_connect(url) as ws:
        async for msg in ws:
            event = msg.json()
            if event["type"] == "snapshot":
                ready.set()
            elif event["type"] == "entry" and event["entry"]["state"] == "waiting":
                call_id = event["entry"]["call_id"]
                key = f"{id(ws)}:{call_id}"
                seen[key] = time.perf_counter()
                counter = watch.get(call_id)
                if counter is not None:
                    counter.count = getattr(counter, "count", 0) + 1  # type: ignore[attr-defined]
                    if counter.count >= consoles:  # type: ignore[attr-defined]
                        counter.set()


async def _bench_store(store: str, target: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp
    from aiohttp import web

    from bot.config import Settings
    from escalation.services import EscalationServices
    from escalation.web import setup_escalation

    services = await EscalationServices.open_from_settings(
        Settings(), store=store, business_hours="always", spool_path=None, **target)
    runner = None
    sessions: list[Any] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for i in range(args.waiting):  # the standing queue
            await services.enqueue(_context(f"wait-{i}", i))
        # Enqueue throughput: sequential, each durable before the next.
        n_ops = 100
        t0 = time.perf_counter()
        for i in range(n_ops):
            await services.enqueue(_context(f"tp-{i}", i))
        enqueue_per_s = n_ops / (time.perf_counter() - t0)
        await services.agents.add("bench-agent", "bench-password", "supervisor")
        agent = await services.agents.get("bench-agent")
        t0 = time.perf_counter()
        for i in range(n_ops):
            await services.accept(f"tp-{i}", agent)
        accept_per_s = n_ops / (time.perf_counter() - t0)
        for i in range(n_ops):
            await services.store.remove(f"tp-{i}")

        app = web.Application()
        setup_escalation(app, services)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        base = f"http://127.0.0.1:{port}"
        seen: dict[str, float] = {}
        watch: dict[str, asyncio.Event] = {}
        readies = []
        for _ in range(args.consoles):
            session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            sessions.append(session)
            resp = await session.post(base + "/api/login",
                                      json={"username": "bench-agent", "password": "bench-password"})
            resp.raise_for_status()
            ready = asyncio.Event()
            readies.append(ready)
            tasks.append(asyncio.create_task(
                _console(session, base.replace("http", "ws") + "/console/ws", seen, ready, watch,
                         args.consoles)))
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)

        delays: list[float] = []
        for i in range(args.samples):
            call_id = f"new-{i}"
            watch[call_id] = asyncio.Event()
            start = time.perf_counter()
            await services.enqueue(_context(call_id, i))
            await asyncio.wait_for(watch[call_id].wait(), 10)
            delays += [(t - start) * 1000 for k, t in seen.items() if k.endswith(":" + call_id)]
            await asyncio.sleep(0.02)  # callers arrive apart, not in one burst
        return {"store": store, "enqueue_per_s": enqueue_per_s, "accept_per_s": accept_per_s,
                "delay_ms": summary(delays), "waiting_at_end": len(await services.store.waiting())}
    finally:
        for task in tasks:
            task.cancel()
        for session in sessions:
            await session.close()
        if runner is not None:
            await runner.cleanup()
        await services.close()


async def _bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        for store in [s.strip() for s in args.stores.split(",") if s.strip()]:
            if store == "sqlite":
                results.append(await _bench_store("sqlite", {"sqlite_path": Path(tmp) / "q.sqlite3"}, args))
            elif store == "redis" and args.redis_url:
                target = {"redis_url": args.redis_url, "redis_prefix": f"bench{os.getpid()}:"}
                results.append(await _bench_store("redis", target, args))
            elif store == "redis":
                redis_dir = Path(tmp) / "redis"
                redis_dir.mkdir()
                with _temporary_redis(redis_dir) as url:
                    results.append(await _bench_store("redis", {"redis_url": url}, args))
            else:
                raise ValueError(f"unknown store {store!r}; use sqlite or redis")
    return results


def run(args: argparse.Namespace, settings: Any) -> int:
    import logging
    import sys

    logging.getLogger("escalation").setLevel(logging.WARNING)  # one INFO line per queued caller

    try:
        results = asyncio.run(_bench(args))
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"voicebot bench queue: {exc}", file=sys.stderr)
        return 1
    base = results[0]
    rows = []
    for r in results:
        d = r["delay_ms"]
        rows.append([r["store"], args.waiting, args.consoles, r["enqueue_per_s"], r["accept_per_s"],
                     d["median"], d["p95"], r["enqueue_per_s"] / base["enqueue_per_s"],
                     "yes" if d["p95"] < ACCEPTANCE_P95_MS else "NO"])
    emit("escalation queue", ["store", "waiting", "consoles", "enqueue/s", "accept/s",
                              "to-console median ms", "to-console p95 ms",
                              f"enqueue vs {base['store']}", "p95 < 200 ms"],
         rows, args.json, {"results": results, "acceptance_p95_ms": ACCEPTANCE_P95_MS})
    return 0 if all(r["delay_ms"]["p95"] < ACCEPTANCE_P95_MS for r in results) else 1
