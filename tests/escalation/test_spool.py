"""The store goes away: callback tasks and tickets wait in the local spool and arrive, once,
when it is back; what was queued before the outage is still there (real redis-server, real
SQLite file)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from escalation.stores import StoreError
from tests.escalation.helpers import open_services

from .redis_server import RedisServer

CONTEXT = {"call_id": "CA-out", "caller": "+15550100999", "reason": "request_human",
           "priority": "normal", "summary": "asked for a person", "transcript": []}


async def test_redis_outage_spools_callbacks_and_tickets_and_loses_nothing(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    svc = await open_services(store="redis", redis_url=redis.url, business_hours="always",
                                        spool_path=tmp_path / "spool.sqlite3", start_sweeper=False)
    try:
        queued = await svc.enqueue({**CONTEXT, "call_id": "CA-before"})
        await svc.enqueue({**CONTEXT, "call_id": "CA-hung-up"})
        redis.stop()
        assert await svc.abandon("CA-hung-up") is None  # the caller left during the outage
        with pytest.raises(StoreError, match="escalation store redis"):
            await svc.store.waiting()  # a driver error is one kind of failure for the callers
        record, spooled = await svc.keep_callback("+15550100999", CONTEXT, "CA-out",
                                                  "request_human", "normal")
        ticket = await svc.create_ticket({"category": "fees", "description": "charged twice",
                                          "call_id": "CA-out"})
        assert spooled and await svc.spool.count() == 3
        with pytest.raises(StoreError):
            await svc.deliver_spool()
        assert await svc.spool.count() == 3  # nothing dropped by a failed delivery

        redis = RedisServer(redis.directory, redis.port).start()  # same data, same port
        assert await svc.deliver_spool() == 2  # and the abandoned entry removed
        assert await svc.deliver_spool() == 0 and await svc.spool.count() == 0
        callbacks = await svc.callbacks.list()
        assert [c["id"] for c in callbacks] == [record["id"]]
        assert callbacks[0]["context"] == CONTEXT and callbacks[0]["number"] == "+15550100999"
        assert [t["reference"] for t in await svc.tickets.list()] == [ticket["reference"]]
        assert [e.call_id for e in await svc.store.waiting()] == [queued.call_id]
    finally:
        await svc.close()
        redis.stop()


async def test_spooled_records_survive_a_restart_of_the_bot(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "redis").start()
    args = {"store": "redis", "redis_url": redis.url, "spool_path": tmp_path / "spool.sqlite3",
            "start_sweeper": False}
    svc = await open_services(**args)
    redis.stop()
    record, spooled = await svc.keep_callback("", CONTEXT, "CA-out", "request_human", "urgent")
    assert spooled
    await svc.spool.close()  # the process ends with Redis still down
    redis = RedisServer(redis.directory, redis.port).start()
    svc = await open_services(**args)
    try:
        assert await svc.deliver_spool() == 1
        assert (await svc.callbacks.get(record["id"]))["priority"] == "urgent"
    finally:
        await svc.close()
        redis.stop()


async def test_a_locked_sqlite_store_spools_the_callback(tmp_path: Path) -> None:
    db = tmp_path / "esc.sqlite3"
    svc = await open_services(store="sqlite", sqlite_path=db, spool_path=tmp_path / "spool.sqlite3",
                                        start_sweeper=False)
    try:
        await svc.enqueue({**CONTEXT, "call_id": "CA-before"})
        # Another process holds the write lock past the store's 5 s busy timeout.
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            _, spooled = await svc.keep_callback("+1555", CONTEXT, "CA-out", "request_human", "normal")
            assert spooled and await svc.spool.count() == 1
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert await svc.deliver_spool() == 1
        assert [c["call_id"] for c in await svc.callbacks.list()] == ["CA-out"]
        assert [e.call_id for e in await svc.store.waiting()] == ["CA-before"]
    finally:
        await svc.close()


async def test_console_api_answers_503_while_the_store_is_unreachable(tmp_path: Path, aiohttp_client) -> None:
    from aiohttp import web

    from escalation.web import setup_escalation

    redis = RedisServer(tmp_path / "redis").start()
    svc = await open_services(store="redis", redis_url=redis.url, start_sweeper=False)
    try:
        await svc.agents.add("erin", "erin-password-1")
        app = web.Application()
        setup_escalation(app, svc)
        client = await aiohttp_client(app)
        redis.stop()
        response = await client.post("/api/login", json={"username": "erin", "password": "erin-password-1"})
        assert response.status == 503 and response.headers["Retry-After"] == "5"
        assert "unreachable" in (await response.json())["error"]
        redis = RedisServer(redis.directory, redis.port).start()
        for _ in range(2):  # the first command may meet the connection Redis closed
            response = await client.post("/api/login", json={"username": "erin", "password": "erin-password-1"})
        assert response.status == 200
    finally:
        await svc.close()
        redis.stop()
