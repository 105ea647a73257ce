"""Fixtures: a real redis-server per test session, and a store of each kind per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from escalation.services import EscalationServices
from tests.escalation.helpers import open_services

from .redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


def service_args(kind: str, tmp_path: Path, redis_server: RedisServer) -> dict:
    if kind == "sqlite":
        return {"store": "sqlite", "sqlite_path": tmp_path / "esc.sqlite3"}
    # A fresh key prefix per test keeps tests apart on the shared server.
    return {"store": "redis", "redis_url": redis_server.url, "redis_prefix": f"t{uuid.uuid4().hex[:8]}:"}


@pytest.fixture(params=["sqlite", "redis"])
async def services(request: pytest.FixtureRequest, tmp_path: Path,
                   redis_server: RedisServer) -> AsyncIterator[EscalationServices]:
    svc = await open_services(
        **service_args(request.param, tmp_path, redis_server),
        business_hours="always", answer_timeout_s=0.3, sweep_interval_s=0.1,
    )
    yield svc
    await svc.close()
