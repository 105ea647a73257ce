"""Two real bot machines for the tests: two `voicebot serve` processes sharing a real
redis-server (queue, sessions, events) and a real PostgreSQL (call records), behind a real
HAProxy running the repository's deploy/haproxy.cfg."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis

from bot.bench.balancer_proc import Balancer
from bot.bench.server_proc import free_port
from tests.conftest import PROJECT_ROOT, VOICEBOT, ServerProcess
from tests.e2e.conftest import E2E_ENV
from tests.escalation.helpers import open_services

PASSWORD = "agent-cluster-password"


@dataclass
class Cluster:
    bots: list[ServerProcess]
    balancer: Balancer
    redis_url: str
    prefix: str
    records_url: str
    env: dict[str, str] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)  # call id -> the bot that held it

    async def holder(self, call_id: str) -> int:
        """Which bot (0 or 1) holds the queued call, by the node stamped on its entry."""
        client = aioredis.Redis.from_url(self.redis_url)
        try:
            entry = json.loads(await client.get(f"{self.prefix}e:{call_id}") or "{}")
            node = (entry.get("context") or {}).get("node", "")
            record = json.loads(await client.hget(f"{self.prefix}r:node", node) or "{}")
        finally:
            await client.close()
        urls = [bot.base_url for bot in self.bots]
        return urls.index(record["url"]) if record.get("url") in urls else -1

    async def add_agent(self, username: str, role: str = "agent") -> None:
        services = await open_services(store="redis", redis_url=self.redis_url,
                                       redis_prefix=self.prefix, start_sweeper=False)
        try:
            if await services.agents.get(username) is None:
                await services.agents.add(username, PASSWORD, role)
        finally:
            await services.close()

    def voicebot_calls(self) -> list[dict]:
        """`voicebot calls --json` on a third machine that only knows the database."""
        env = {**os.environ, "VOICEBOT_RECORDS__URL": self.records_url,
               "VOICEBOT_PATHS__DATA_DIR": str(self.balancer.directory / "none")}
        out = subprocess.run([*VOICEBOT, "calls", "--json", "--limit", "50"], env=env, cwd=PROJECT_ROOT,
                             capture_output=True, text=True, timeout=60, check=True)
        return json.loads(out.stdout)


def start_cluster(tmp: Path, redis_url: str, records_url: str) -> Cluster:
    """Two bots started side by side (each loads its own model and recognizer), then HAProxy."""
    prefix, secret = f"c{uuid.uuid4().hex[:8]}:", secrets.token_urlsafe(32)
    ports = [free_port(), free_port()]
    for i in (1, 2):
        (tmp / f"bot{i}").mkdir(parents=True, exist_ok=True)
    common = {**E2E_ENV, "VOICEBOT_ESCALATION__STORE": "redis", "VOICEBOT_ESCALATION__REDIS_URL": redis_url,
              "VOICEBOT_ESCALATION__REDIS_PREFIX": prefix, "VOICEBOT_RECORDS__URL": records_url,
              "VOICEBOT_CLUSTER__PEER_SECRET": secret, "VOICEBOT_CLUSTER__DRAIN_NOTICE_S": "4",
              "VOICEBOT_STT__WORKERS": "1", "VOICEBOT_STT__WARM_RECOGNIZERS": "2"}
    bots = [ServerProcess({**common, "VOICEBOT_CLUSTER__ADVERTISE_URL": f"http://127.0.0.1:{port}"},
                          tmp / f"bot{i + 1}", port=port) for i, port in enumerate(ports)]
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda bot: bot.start("/readyz", timeout_s=180), bots))
    except BaseException:
        for bot in bots:
            bot.stop()
        raise
    balancer = Balancer(bots)
    cluster = Cluster(bots, balancer, redis_url, prefix, records_url, common)
    for name in ("bot1", "bot2"):
        balancer.wait_status(name, "UP")
    return cluster
