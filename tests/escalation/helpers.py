"""Small test helpers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp

from bot.config import Settings
from escalation.services import EscalationServices


async def open_services(**overrides: Any) -> EscalationServices:
    """EscalationServices with the configured defaults (bot/config.py), no spool, and `overrides`."""
    return await EscalationServices.open_from_settings(Settings(), **{"spool_path": None, **overrides})


async def until(fetch: Callable[[], Awaitable[Any]], ok: Callable[[Any], bool],
                timeout: float = 5.0, step: float = 0.05) -> Any:
    """Poll `fetch()` until `ok(value)`; return the value (the last one when time ran out)."""
    value = await fetch()
    for _ in range(int(timeout / step)):
        if ok(value):
            break
        await asyncio.sleep(step)
        value = await fetch()
    return value


@contextlib.asynccontextmanager
async def api_session(base_url: str, username: str, password: str) -> AsyncIterator[ApiSession]:
    """A logged-in console API client against a running server (cookie + CSRF header)."""
    async with aiohttp.ClientSession(base_url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        resp = await http.post("/api/login", json={"username": username, "password": password})
        assert resp.status == 200, await resp.text()
        yield ApiSession(http, {"X-CSRF-Token": (await resp.json())["csrf"]})


class ApiSession:
    def __init__(self, http: aiohttp.ClientSession, headers: dict[str, str]) -> None:
        self.http = http
        self.headers = headers

    async def get(self, path: str) -> Any:
        resp = await self.http.get(path)
        assert resp.status == 200, (path, resp.status, await resp.text())
        return await resp.json()

    async def post(self, path: str, body: dict | None = None) -> aiohttp.ClientResponse:
        return await self.http.post(path, json=body or {}, headers=self.headers)


async def queue_of(api: ApiSession) -> dict[str, Any]:
    """`GET /api/queue` as {"waiting": [...], "active": [...]}."""
    return await api.get("/api/queue")
