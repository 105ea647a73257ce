"""`voicebot bench load --machines 1,2`: the same real-time load through HAProxy
(deploy/haproxy.cfg) on one and on two bot processes, side by side in one run.

Each round starts its own redis-server (queue), PostgreSQL database (call records, which the
callers read back through the balancer from whichever machine answers), the bot processes
(each with its own recognizer workers) and HAProxy; then `--calls` callers run the voice
scenarios for `--minutes`. Needs the Debian packages redis-server, postgresql and haproxy.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.bench.report import emit, percentile

COLUMNS = ["machines", "calls", "wall s", "calls done", "failed", "turns", "p50 ms", "p95 ms", "p99 ms",
           "p95 overhead ms", "bots CPU %", "ok"]


def _bots(count: int, redis_url: str, records_url: str, extra_env: dict[str, str]) -> list[Any]:
    from bot.bench.server_proc import BenchServer, ServerProcess, free_port

    common = {**extra_env, "VOICEBOT_ESCALATION__STORE": "redis", "VOICEBOT_ESCALATION__REDIS_URL": redis_url,
              "VOICEBOT_ESCALATION__REDIS_PREFIX": f"bench{uuid.uuid4().hex[:6]}:",
              "VOICEBOT_RECORDS__URL": records_url, "VOICEBOT_CLUSTER__PEER_SECRET": secrets.token_urlsafe(32)}
    ports = [free_port() for _ in range(count)]
    bots = [BenchServer({**common, "VOICEBOT_CLUSTER__ADVERTISE_URL": f"http://127.0.0.1:{port}"}, port=port)
            for port in ports]
    try:
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(lambda bot: ServerProcess.wait_ready(bot), bots))
        bots[0].secret = bots[0].make_token("bench")  # one store: one token reads every bot's calls
    except BaseException:
        for bot in bots:
            bot.stop()
        raise
    return bots


def one_round(machines: int, calls: int, seconds: float, scenarios: list[Any], silence_ms: float,
              extra_env: dict[str, str]) -> list[Any]:
    """Start the stores, `machines` bots and the balancer; run the load; stop everything."""
    import tempfile
    from pathlib import Path

    from bot.bench.balancer_proc import Balancer
    from bot.bench.load import run_round
    from bot.bench.server_proc import tree_cpu_seconds
    from bot.bench.stores_proc import PostgresServer, RedisServer

    redis_dir = Path(tempfile.mkdtemp(prefix="voicebot-bench-redis-"))
    redis = RedisServer(redis_dir).start()
    postgres = PostgresServer().start()
    bots, balancer = [], None
    try:
        bots = _bots(machines, redis.url, postgres.new_database(), extra_env)
        balancer = Balancer(bots)
        balancer.wait_status("bot1", "UP")
        cpu0 = sum(tree_cpu_seconds(bot.ps) for bot in bots)
        start = time.monotonic()
        stats = asyncio.run(run_round(balancer.ws_url, bots[0].secret, scenarios, calls, seconds, silence_ms))
        wall = time.monotonic() - start
        cpu = (sum(tree_cpu_seconds(bot.ps) for bot in bots) - cpu0) / wall * 100
    finally:
        if balancer is not None:
            balancer.stop()
        for bot in bots:
            bot.stop()
        postgres.stop()
        redis.stop()
        shutil.rmtree(redis_dir, ignore_errors=True)
    lat = stats.latencies
    print(f"  {machines} bot process(es), {calls} calls: {stats.completed} completed, {len(stats.failed)} failed, "
          f"p95 overhead {stats.p95_overhead():.0f} ms, bots CPU {cpu:.0f} %", flush=True)
    return [machines, calls, round(wall), stats.completed, len(stats.failed), len(lat), percentile(lat, 50),
            percentile(lat, 95), percentile(lat, 99), stats.p95_overhead(), cpu, "yes" if stats.ok() else "no"]


def run_side_by_side(machine_counts: list[int], calls: int, minutes: float, scenarios: list[Any],
                     silence_ms: float, extra_env: dict[str, str], json_path: Any) -> int:
    """One round per machine count, the same load each time; one table."""
    rows = [one_round(n, calls, minutes * 60, scenarios, silence_ms, extra_env) for n in machine_counts]
    emit("Load through HAProxy: the same callers on one and on several bot processes", COLUMNS, rows,
         json_path, {"machines": machine_counts, "calls": calls, "minutes": minutes,
                     "scenarios": [s.id for s in scenarios]})
    return 0
