"""Per-address limits answer 429 with Retry-After and one log line; nothing else is hurt."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

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
