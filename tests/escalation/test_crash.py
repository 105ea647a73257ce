"""kill -9 the process that queued callers (and, for Redis, redis-server too): nothing is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.escalation.helpers import open_services

from .crash_writer import PRIORITIES, caller_context
from .redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
RANK = {"urgent": 0, "complaint": 1, "normal": 2}


def run_writer_and_kill(backend: str, target: str, prefix: str = "crash:") -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.escalation.crash_writer", backend, target, prefix],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == b"READY", proc.stderr.read().decode()[-2000:]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL


async def check_everything_survived(**open_args) -> None:
    services = await open_services(start_sweeper=False, **open_args)
    try:
        waiting = await services.store.waiting()
        expected = sorted(range(10), key=lambda i: (RANK[PRIORITIES[i]], i))
        assert [e.call_id for e in waiting] == [f"call-{i:02d}" for i in expected]
        for entry in waiting:
            i = int(entry.call_id[-2:])
            assert entry.context == caller_context(i).to_dict() | {"started_at": entry.context["started_at"]}
            assert entry.priority == PRIORITIES[i]
            assert "[CARD ****1111]" in entry.context["transcript"][1]["text"]
        tickets = await services.tickets.list(status="open")
        assert sorted(t["reference"] for t in tickets) == [f"C-{i}" for i in range(5)]
    finally:
        await services.close()


async def test_sqlite_survives_kill_9(tmp_path: Path):
    db = tmp_path / "escalation.sqlite3"
    run_writer_and_kill("sqlite", str(db))
    await check_everything_survived(store="sqlite", sqlite_path=db)


@pytest.mark.slow
async def test_redis_survives_kill_9_of_bot_and_of_redis(tmp_path: Path):
    server = RedisServer(tmp_path / "redis").start()
    try:
        run_writer_and_kill("redis", server.url)
        server.kill9()  # Redis itself dies too; its append-only file is fsynced on every write
        server.start()
        await check_everything_survived(store="redis", redis_url=server.url, redis_prefix="crash:")
    finally:
        server.stop()
