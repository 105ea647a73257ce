"""Per-address limits: request rates on the webhooks and login, concurrent WebSockets.

Each refusal is the right status (429 with Retry-After) and one WARNING line; calls already
in progress are never touched (media streams are capped by `calls.max_concurrent_calls`).
"""

from __future__ import annotations

import collections
import logging
import time
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

RATE_LIMITED = ("/twilio/voice", "/twilio/connect-action", "/api/login")
COUNTED_SOCKETS = ("/console/ws", "/console/audio/", "/browser/ws")
MAX_ADDRESSES = 10_000  # bounded memory under a spray of addresses


class Limits:
    def __init__(self, per_minute: int, login_per_minute: int, sockets_per_address: int) -> None:
        self.per_minute = per_minute
        self.login_per_minute = login_per_minute
        self.sockets_per_address = sockets_per_address
        self._hits: dict[tuple[str, str], collections.deque] = {}
        self._sockets: collections.Counter[str] = collections.Counter()

    def allow(self, address: str, path: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        limit = self.login_per_minute if path == "/api/login" else self.per_minute
        if len(self._hits) > MAX_ADDRESSES:
            self._hits.clear()
        hits = self._hits.setdefault((address, path), collections.deque())
        while hits and now - hits[0] > 60:
            hits.popleft()
        if len(hits) >= limit:
            return False
        hits.append(now)
        return True

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        address = request.remote or "?"
        if request.method == "POST" and request.path in RATE_LIMITED and not self.allow(address, request.path):
            log.warning("%s from %s refused: over %d requests a minute", request.path, address,
                        self.login_per_minute if request.path == "/api/login" else self.per_minute)
            return web.json_response({"error": "too many requests"}, status=429, headers={"Retry-After": "60"})
        if not request.path.startswith(COUNTED_SOCKETS) or request.headers.get("Upgrade", "").lower() != "websocket":
            return await handler(request)
        if self._sockets[address] >= self.sockets_per_address:
            log.warning("WebSocket %s from %s refused: %d open from this address", request.path, address,
                        self._sockets[address])
            return web.json_response({"error": "too many connections"}, status=429, headers={"Retry-After": "10"})
        self._sockets[address] += 1
        try:
            return await handler(request)
        finally:
            self._sockets[address] -= 1
            if not self._sockets[address]:
                del self._sockets[address]
