"""The audit trail: logins, exports, token use and record views, readable by supervisors only."""

from __future__ import annotations

import time

import aiohttp


async def test_the_trail_records_who_did_what_from_where(bot) -> None:
    await bot.records.call_started("CAaudit", "twilio", "+15550001111")
    token, _ = await bot.services.api_tokens.add("ci", ["calls:read"], days=1)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        bad = await http.post(bot.url + "/api/login", json={"username": "alan", "password": "wrong-one"})
        assert bad.status == 401
        await http.get(bot.url + "/calls/CAaudit", headers={"Authorization": f"Bearer {token}"})
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await bot.login(http, "alan")
        assert (await http.get(bot.url + "/api/tickets.csv")).status == 200
        assert (await http.get(bot.url + "/api/audit")).status == 403  # agents do not read it
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await bot.login(http, "sam")
        entries = (await (await http.get(bot.url + "/api/audit")).json())["entries"]
    seen = {(e["who"], e["action"]) for e in entries}
    assert {("alan", "login_failed"), ("alan", "login"), ("alan", "export"),
            ("token:ci", "token_use"), ("sam", "login")} <= seen, seen
    assert all(e["where"] == "127.0.0.1" for e in entries)
    assert entries[0]["created_at"] >= entries[-1]["created_at"]  # newest first


async def test_entries_older_than_the_retention_are_dropped(bot) -> None:
    audit = bot.services.audit
    await audit.record("sam", "login", "127.0.0.1")
    old = {"id": "0000000001.000000-old", "created_at": time.time() - 400 * 86400, "who": "x",
           "action": "login", "where": "", "what": ""}
    await bot.services.store.put_record("audit", old["id"], old)
    audit.retention_days = 365
    entries = await audit.entries()
    assert [e["who"] for e in entries] == ["sam"]
