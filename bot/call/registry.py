"""The set of calls in progress, and the graceful drain on shutdown."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

log = logging.getLogger(__name__)


class ActiveCall(Protocol):
    call_id: str

    async def end(self, reason: str) -> None:
        """End the call politely (say goodbye, hang up) and release everything."""


class ServerDraining(Exception):
    """Raised when a new call arrives while the server is shutting down."""


class CallRegistry:
    """Tracks active calls so shutdown can let them finish, then end them politely."""

    def __init__(self) -> None:
        self._calls: dict[str, ActiveCall] = {}
        self._empty = asyncio.Event()
        self._empty.set()
        self.draining = False
        # Told to stop (SIGTERM) but still taking calls until a load balancer has noticed,
        # through /readyz, that it must send no more (server.drain_notice_s).
        self.leaving_rotation = False

    def leave_rotation(self) -> None:
        """Say "not ready" on /readyz from now on, while still taking calls."""
        self.leaving_rotation = True

    def __len__(self) -> int:
        return len(self._calls)

    def add(self, call: ActiveCall) -> None:
        if self.draining:
            raise ServerDraining("the server is shutting down and takes no new calls")
        self._calls[call.call_id] = call
        self._empty.clear()

    def remove(self, call_id: str) -> None:
        self._calls.pop(call_id, None)
        if not self._calls:
            self._empty.set()

    def get(self, call_id: str) -> ActiveCall | None:
        return self._calls.get(call_id)

    def calls(self) -> list[ActiveCall]:
        return list(self._calls.values())

    async def drain(self, timeout_s: float) -> None:
        """Refuse new calls, let active ones finish for `timeout_s`, then end the rest."""
        self.draining = True
        if self._calls:
            log.info("shutdown: waiting up to %.0f s for %d active call(s)", timeout_s, len(self))
            try:
                await asyncio.wait_for(self._empty.wait(), timeout_s)
            except asyncio.TimeoutError:
                remaining = self.calls()
                log.info("shutdown: ending %d call(s) still active", len(remaining))
                await asyncio.gather(
                    *(c.end("server_shutdown") for c in remaining), return_exceptions=True
                )
                self._calls.clear()
                self._empty.set()
