"""Slow and oversized request headers, answered before aiohttp spends anything on them.

aiohttp has no deadline for a request's headers: a client that connects and sends nothing,
or trickles a header byte at a time (including a WebSocket that never finishes its upgrade
request), holds a connection for as long as it likes. Its own line caps answer 400 with a
traceback in the log. This guard sits between the socket and aiohttp's protocol for the
first request of each connection: 408 when the headers are not complete within
`server.header_timeout_s`, 414 for a request line over `server.max_line_size`, 431 for a
header line over `server.max_field_size`, each with one WARNING line. Later requests on a
kept-alive connection are bounded by aiohttp's keep-alive timeout, which runs while a
request is incomplete.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeaderLimits:
    timeout_s: float
    max_line_size: int
    max_field_size: int

    @classmethod
    def of(cls, server: Any) -> HeaderLimits:
        """From the `server` settings section."""
        return cls(server.header_timeout_s, server.max_line_size, server.max_field_size)

    def handler_args(self) -> dict[str, int]:
        """aiohttp's own caps, set to the same values (what gets past the guard)."""
        return {"max_line_size": self.max_line_size, "max_field_size": self.max_field_size}


class _Guard(asyncio.Protocol):
    """Watches the first request's headers, then passes every byte straight through."""

    def __init__(self, inner: asyncio.Protocol, limits: HeaderLimits) -> None:
        self.inner = inner
        self.limits = limits
        self.transport: asyncio.Transport | None = None
        self.scanning = True
        self.request_line = True
        self.line = 0  # bytes of the current line so far
        self.deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.deadline = asyncio.get_running_loop().call_later(self.limits.timeout_s, self._timed_out)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.scanning:
            refusal = self._scan(data)
            if refusal:
                self._refuse(*refusal)
                return
        self.inner.data_received(data)

    def _scan(self, data: bytes) -> tuple[HTTPStatus, str] | None:
        """Follow line lengths up to the blank line that ends the headers."""
        start = 0
        while True:
            newline = data.find(b"\n", start)
            self.line += (len(data) if newline < 0 else newline) - start
            limit = self.limits.max_line_size if self.request_line else self.limits.max_field_size
            if self.line > limit + 1:  # +1: the \r before the \n
                if self.request_line:
                    return HTTPStatus.REQUEST_URI_TOO_LONG, f"request line over {limit} bytes"
                return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, f"a header line over {limit} bytes"
            if newline < 0:
                return None
            if self.line <= 1 and not self.request_line:  # the blank line: headers complete
                self._done()
                return None
            self.request_line, self.line, start = False, 0, newline + 1

    def _done(self) -> None:
        self.scanning = False
        if self.deadline is not None:
            self.deadline.cancel()

    def _timed_out(self) -> None:
        self._refuse(HTTPStatus.REQUEST_TIMEOUT,
                     f"request headers not complete within {self.limits.timeout_s:g} s")

    def _refuse(self, status: HTTPStatus, why: str) -> None:
        self._done()
        if self.transport is None or self.transport.is_closing():
            return
        peer = self.transport.get_extra_info("peername") or ("?",)
        log.warning("HTTP client %s refused with %d: %s", peer[0], status.value, why)
        self.transport.write(f"HTTP/1.1 {status.value} {status.phrase}\r\nContent-Length: 0\r\n"
                             "Connection: close\r\n\r\n".encode())
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._done()
        self.inner.connection_lost(exc)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class _GuardedFactory:
    """What a site hands to `loop.create_server`: aiohttp's protocol, behind a guard."""

    def __init__(self, server: web.Server, limits: HeaderLimits) -> None:
        self.server = server
        self.limits = limits

    def __call__(self) -> asyncio.Protocol:
        return _Guard(self.server(), self.limits)


class GuardedAppRunner(web.AppRunner):
    """An AppRunner whose sites (TCPSite and the like) accept connections through the guard."""

    def __init__(self, app: web.Application, limits: HeaderLimits, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.limits = limits

    @property
    def server(self) -> Any:
        inner = super().server
        return None if inner is None else _GuardedFactory(inner, self.limits)
