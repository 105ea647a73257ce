"""Per-address limits answer 429 with Retry-After and one log line; nothing else is hurt."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import pytest

from .conftest import bot_settings, running_bot


async def test_bulk_logins_from_one_address_are_throttled(tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING)
    async with running_bot(bot_settings(tmp_path, server__login_rate_per_min="10")) as bot, \
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        statuses = []
        for i in range(14):  # a different name each time: the per-name throttle never fires
            resp = await http.post(bot.url + "/api/login", json={"username": f"u{i}", "password": "x" * 9})
            statuses.append(resp.status)
        assert statuses[:10] == [401] * 10 and statuses[10:] == [429] * 4, statuses
        assert resp.headers["Retry-After"] == "60"
        assert sum("/api/login from 127.0.0.1 refused" in r.message for r in caplog.records) == 4
        assert (await http.get(bot.url + "/healthz")).status == 200  # the rest still answers


async def test_websockets_per_address_are_capped(tmp_path) -> None:
    async with running_bot(bot_settings(tmp_path, server__websockets_per_address="2")) as bot, \
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await bot.login(http, "sam")
        first = await http.ws_connect(bot.url + "/console/ws")
        second = await http.ws_connect(bot.url + "/console/ws")
        try:
            await http.ws_connect(bot.url + "/console/ws")
            raise AssertionError("a third socket was accepted")
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 429
        await first.close()
        await asyncio.sleep(0.2)
        third = await http.ws_connect(bot.url + "/console/ws")  # room again
        for ws in (second, third):
            await ws.close()


async def test_oversized_bodies_are_refused(bot) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        resp = await http.post(bot.url + "/twilio/voice", data=b"x" * (2 * 1024 * 1024),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status == 413


async def test_webhook_rate_per_address(tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING)
    settings = bot_settings(tmp_path, server__rate_limit_per_min="3",
                            calls__twilio_auth_token="")  # unsigned: only the rate matters here
    async with running_bot(settings) as bot, aiohttp.ClientSession() as http:
        statuses = []
        for i in range(5):
            resp = await http.post(bot.url + "/twilio/voice", data={"CallSid": f"CA{i}", "From": "+1555"})
            statuses.append(resp.status)
        assert statuses == [200, 200, 200, 429, 429], statuses
        assert resp.headers["Retry-After"] == "60"
        assert sum("/twilio/voice from 127.0.0.1 refused" in r.message for r in caplog.records) == 2
        assert len(caplog.records) == 2, [r.message for r in caplog.records]


async def raw_exchange(port: int, chunks: list[bytes], gap_s: float = 0.0, wait_s: float = 3.0) -> bytes:
    """Send `chunks` on a raw connection, `gap_s` apart, until the server closes it; what came back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = asyncio.create_task(asyncio.wait_for(reader.read(), wait_s))
    try:
        for chunk in chunks:
            if answer.done():
                break
            writer.write(chunk)
            await asyncio.sleep(gap_s)
        return await answer
    finally:
        writer.close()


@pytest.fixture
async def strict_bot(tmp_path):
    async with running_bot(bot_settings(tmp_path, server__header_timeout_s="0.5", server__max_line_size="1024",
                                        server__max_field_size="1024")) as bot:
        yield bot


async def test_slow_clients_get_408_and_one_log_line(strict_bot, caplog) -> None:
    caplog.set_level(logging.WARNING)
    t0 = time.monotonic()
    silent = await raw_exchange(strict_bot.port, [])  # connects, never says a word
    assert silent.startswith(b"HTTP/1.1 408 "), silent
    assert time.monotonic() - t0 < 2.0
    # A WebSocket upgrade trickled a byte at a time: never completes its handshake.
    upgrade = (b"GET /console/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
    trickled = await raw_exchange(strict_bot.port, [upgrade[i:i + 1] for i in range(len(upgrade))], gap_s=0.05)
    assert trickled.startswith(b"HTTP/1.1 408 "), trickled
    lines = [r.message for r in caplog.records]
    assert len(lines) == 2 and all("refused with 408: request headers not complete within 0.5 s" in m
                                   for m in lines), lines
    async with aiohttp.ClientSession() as http:  # a client in good time is served as before
        assert (await http.get(strict_bot.url + "/healthz")).status == 200


async def test_header_size_caps_answer_414_and_431(strict_bot, caplog) -> None:
    caplog.set_level(logging.WARNING)
    long_line = await raw_exchange(strict_bot.port, [b"GET /healthz?" + b"a" * 2000 + b" HTTP/1.1\r\n\r\n"])
    assert long_line.startswith(b"HTTP/1.1 414 "), long_line
    big_field = await raw_exchange(strict_bot.port, [b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
                                                     b"Cookie: " + b"c" * 1100 + b"\r\n\r\n"])
    assert big_field.startswith(b"HTTP/1.1 431 "), big_field
    lines = [r.message for r in caplog.records]
    assert len(lines) == 2 and "414: request line over 1024 bytes" in lines[0] \
        and "431: a header line over 1024 bytes" in lines[1], lines
    just_fits = await raw_exchange(strict_bot.port, [b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: "
                                                     + b"p" * 1000 + b"\r\nConnection: close\r\n\r\n"])
    assert just_fits.startswith(b"HTTP/1.1 200 "), just_fits
    assert strict_bot.app._handler_args == {"max_line_size": 1024, "max_field_size": 1024}  # aiohttp's too
