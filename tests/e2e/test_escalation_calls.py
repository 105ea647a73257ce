"""Escalation with real calls against a real `voicebot serve`: callbacks, closed hours, no-answer
requeue, `kill -9` and restart, transfer to a number, and the console's authentication."""

from __future__ import annotations

import asyncio
import datetime
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.caller.twilio_client import TwilioCaller
from bot.caller.voices import speak
from escalation.web import setup_escalation
from tests.escalation.helpers import api_session, open_services, queue_of, until

pytestmark = pytest.mark.slow
PASSWORD = "agent-e2e-password"
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


async def add_agent(data_dir: Path, username: str, role: str = "agent") -> None:
    """An agent through the store API (the CLI path is in test_escalation_console)."""
    services = await open_services(store="sqlite", sqlite_path=data_dir / "escalation.sqlite3",
                                             start_sweeper=False)
    try:
        if await services.agents.get(username) is None:
            await services.agents.add(username, PASSWORD, role)
    finally:
        await services.close()


def ws_url(server) -> str:
    return server.base_url.replace("http://", "ws://") + "/twilio/media"


async def queue_for_agent(caller: TwilioCaller) -> None:
    """Greeting, then keypad 0: the caller asks for a person."""
    await caller.listen(timeout_s=30)
    await caller.press("0")


async def hear(call: TwilioCaller, seconds: float, timeout_s: float = 20.0) -> float:
    """Wait until the caller has heard `seconds` of bot audio since now (hold audio never
    pauses, so `listen()`, which waits for a pause, is no use while holding)."""
    since = time.monotonic()
    await until(_const(call), lambda c: c.bot_audio_since(since) >= seconds, timeout=timeout_s)
    return call.bot_audio_since(since)


async def waiting_ids(api) -> list[str]:
    return [e["call_id"] for e in (await queue_of(api))["waiting"]]


async def callbacks(api) -> list[dict]:
    return (await api.get("/api/callbacks"))["callbacks"]


def closed_now() -> str:
    """Business hours that are closed right now: one whole day, but not today (UTC)."""
    tomorrow = DAYS[(datetime.datetime.now(datetime.timezone.utc).weekday() + 1) % 7]
    return f"{tomorrow} 00:00-24:00"


# ---- on the shared server ---------------------------------------------------------------
async def test_every_console_and_api_route_needs_a_session_on_the_real_server(bot_server) -> None:
    app = web.Application()
    setup_escalation(app, object())  # only to list the routes the server mounts
    public = {"/console", "/console/static/{name}", "/console/analytics/static/{name}",
              "/console/review/static/{name}",
              "/api/openapi.json", "/api/login"}
    routes = {(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD"}
    async with aiohttp.ClientSession(bot_server.base_url) as http:
        for method, path in sorted(routes):
            if path in public:
                continue
            url = path.replace("{call_id}", "CA1").replace("{record_id}", "C-1")
            async with http.request(method, url, json={}) as resp:
                assert resp.status == 401, (method, path, resp.status)
        async with http.get("/console") as page:
            assert page.status == 401 and "login-form" in await page.text()
        async with http.post("/api/login", json={"username": "nobody", "password": "x" * 10}) as bad:
            assert bad.status == 401


async def test_keypad_1_while_holding_books_a_callback_and_ends_politely(bot_server) -> None:
    data_dir = bot_server.log_path.parent / "var"
    await add_agent(data_dir, "cara")
    async with TwilioCaller(bot_server.ws_url, caller="+15550170001") as call:
        await queue_for_agent(call)
        sid = call.log.call_sid
        assert await hear(call, 3.0) >= 3.0  # "Please hold... you are next in line..."
        pressed = time.monotonic()
        await call.press("1")
        assert await call.wait_closed(20), "the bot did not end the call after booking the callback"
        assert call.bot_audio_since(pressed) > 1.5, "no 'we will call you back'"
    async with api_session(bot_server.base_url, "cara", PASSWORD) as api:
        assert sid not in await waiting_ids(api)
        booked = [c for c in await callbacks(api) if c["call_id"] == sid]
        assert len(booked) == 1
        task = booked[0]
        assert task["number"] == "+15550170001" and task["status"] == "open"
        assert task["reason"] == "request_human" and "asked for a person" in task["summary"]
        assert task["context"]["channel"] == "twilio" and task["context"]["transcript"]


async def test_saying_call_me_back_while_holding_books_a_callback(bot_server) -> None:
    data_dir = bot_server.log_path.parent / "var"
    await add_agent(data_dir, "cara")
    async with TwilioCaller(bot_server.ws_url, caller="+15550170002") as call:
        await queue_for_agent(call)
        sid = call.log.call_sid
        assert await hear(call, 2.0) >= 2.0
        # A caller who is not understood says it again, as people do on the phone.
        for _ in range(3):
            await call.say_pcm(speak("please call me back", "rms"))
            if await call.wait_closed(12):
                break
        assert call.log.closed_by_bot, "the bot did not book a callback on 'call me back'"
    async with api_session(bot_server.base_url, "cara", PASSWORD) as api:
        booked = [c for c in await callbacks(api) if c["call_id"] == sid]
        assert len(booked) == 1 and booked[0]["number"] == "+15550170002"
        assert sid not in await waiting_ids(api)


async def test_a_caller_who_hangs_up_in_the_queue_shows_in_the_analytics(bot_server) -> None:
    """The real server's /api/analytics counts what a real call leaves: one more twilio call,
    escalated, its reason, and a caller abandoned in the queue."""
    data_dir = bot_server.log_path.parent / "var"
    await add_agent(data_dir, "sara", "supervisor")
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    path = f"/api/analytics?from={today}&to={today}&channel=twilio"
    async with api_session(bot_server.base_url, "sara", PASSWORD) as api:
        before = await api.get(path)
        async with TwilioCaller(bot_server.ws_url, caller="+15550170003") as call:
            await queue_for_agent(call)
            sid = call.log.call_sid
            assert sid in await until(lambda: waiting_ids(api), lambda ids: sid in ids, timeout=20)
            await call.hangup()
        after = await until(lambda: api.get(path),
                            lambda r: r["summary"]["queue_abandoned"] > before["summary"]["queue_abandoned"]
                            and r["summary"]["escalated"] > before["summary"]["escalated"], timeout=15)
        csv_text = await (await api.http.get(path + "&format=csv")).text()
    was, now = before["summary"], after["summary"]
    assert now["calls"] == was["calls"] + 1 and now["escalated"] == was["escalated"] + 1
    assert now["queue_abandoned"] == was["queue_abandoned"] + 1
    reasons = {r["reason"]: r["count"] for r in after["escalation_reasons"]}
    old = {r["reason"]: r["count"] for r in before["escalation_reasons"]}
    assert reasons["request_human"] == old.get("request_human", 0) + 1
    assert f"summary,,queue_abandoned,{now['queue_abandoned']}" in csv_text


# ---- own servers -------------------------------------------------------------------------
async def test_no_answer_requeue_then_kill_9_restart_keeps_every_escalation(start_server, tmp_path) -> None:
    env = {"VOICEBOT_ESCALATION__BUSINESS_HOURS": "always",
           "VOICEBOT_ESCALATION__ANSWER_TIMEOUT_S": "2", "VOICEBOT_ESCALATION__HOLD_ANNOUNCE_INTERVAL_S": "5"}
    await add_agent(tmp_path / "var", "dana")
    server = start_server(env, ready_path="/readyz", timeout_s=180)
    numbers = [f"+1555018000{i}" for i in range(4)]
    callers = [TwilioCaller(ws_url(server), caller=n) for n in numbers]
    for caller in callers:
        await caller.__aenter__()
    try:
        await asyncio.gather(*(c.listen(timeout_s=30) for c in callers))  # the greetings
        for caller in callers:  # one after the other, so the queue order is known
            await caller.press("0")
            sid = caller.log.call_sid
            async with api_session(server.base_url, "dana", PASSWORD) as api:
                await until(lambda api=api: waiting_ids(api), lambda ids, sid=sid: sid in ids, timeout=15)
        sids = [c.log.call_sid for c in callers]
        async with api_session(server.base_url, "dana", PASSWORD) as api:
            assert await waiting_ids(api) == sids
            # The agent accepts the second caller but never answers: after the 2 s answer
            # timeout the call is back, at the head of its priority.
            assert (await api.post(f"/api/queue/{sids[1]}/accept")).status == 200
            offered_at = time.monotonic()
            order = await until(lambda: waiting_ids(api), lambda ids: ids and ids[0] == sids[1], timeout=10)
            assert order == [sids[1], sids[0], sids[2], sids[3]]
            requeued = (await queue_of(api))["waiting"][0]
            assert requeued["requeues"] == 1 and requeued["state"] == "waiting"
            assert time.monotonic() - offered_at >= 1.9
            # The caller kept hearing hold audio and hears the announcements again.
            heard = await until(_const(callers[1]), lambda c: c.bot_audio_since(offered_at) > 2.0, timeout=8)
            assert heard.bot_audio_since(offered_at) > 2.0
            before = (await queue_of(api))["waiting"]

        server.proc.kill()  # kill -9: no goodbye, no clean-up
        server.proc.wait()
        for caller in callers:
            assert await caller.wait_closed(10)
    finally:
        for caller in callers:
            await caller.hangup()

    # Restarted outside business hours. The callers' calls died with the process, so their
    # entries become callback tasks carrying the whole context, in queue order.
    server = start_server({**env, "VOICEBOT_ESCALATION__BUSINESS_HOURS": closed_now()},
                          ready_path="/readyz", timeout_s=180)
    async with api_session(server.base_url, "dana", PASSWORD) as api:
        lost = await until(lambda: callbacks(api), lambda cbs: len(cbs) >= 4, timeout=15)
        lost.reverse()  # the API lists newest first
        assert [c["call_id"] for c in lost] == [e["call_id"] for e in before]
        for task, entry in zip(lost, before):
            assert task["context"] == entry["context"]
            assert task["notes"] == "call lost: bot_process_ended" and task["number"] in numbers
        assert await queue_of(api) == {"waiting": [], "active": []}

        # Closed: a caller who asks for a person is offered a callback instead of a queue.
        async with TwilioCaller(ws_url(server), caller="+15550189999") as call:
            await queue_for_agent(call)
            offer = await call.listen(timeout_s=20, quiet_s=1.5)
            assert offer.duration_s > 4.0, "no closed-hours callback offer"
            await call.press("1")
            await call.listen(timeout_s=15, quiet_s=1.5)
            assert await call.wait_closed(15)
            sid = call.log.call_sid
        assert sid not in await waiting_ids(api)
        booked = [c for c in await callbacks(api) if c["call_id"] == sid]
        assert len(booked) == 1 and booked[0]["number"] == "+15550189999"
        assert booked[0]["context"]["reason"] == "request_human" and booked[0]["notes"] == ""


async def test_twilio_transfer_to_a_number_answers_connect_action_with_dial(start_server, tmp_path) -> None:
    env = {"VOICEBOT_ESCALATION__TRANSFER_TARGET": "+15550009999"}  # text settings stay text
    await add_agent(tmp_path / "var", "erin")
    server = start_server(env, ready_path="/readyz", timeout_s=180)
    async with TwilioCaller(ws_url(server), caller="+15550190001") as call:
        await queue_for_agent(call)
        connecting = await call.listen(timeout_s=20)
        assert connecting.duration_s > 1.0  # "Please hold while I connect you..."
        assert await call.wait_closed(15), "the bot did not end the stream for the transfer"
        sid = call.log.call_sid
    async with aiohttp.ClientSession(server.base_url) as http:
        async with http.post("/twilio/connect-action", data={"CallSid": sid, "CallStatus": "in-progress"}) as r:
            assert r.status == 200 and r.content_type == "application/xml"
            twiml = await r.text()
        assert "<Response><Dial><Number>+15550009999</Number></Dial></Response>" in twiml
        async with http.post("/twilio/connect-action", data={"CallSid": "CA-not-transferred"}) as r:
            assert "<Hangup/>" in await r.text()  # a stream that ended for any other reason
    # Whoever answers the transferred call finds its context by call id.
    async with api_session(server.base_url, "erin", PASSWORD) as api:
        record = await api.get(f"/api/transfers/{sid}")
        assert record["target"] == "+15550009999" and record["context"]["caller"] == "+15550190001"
        assert record["context"]["reason"] == "request_human" and record["context"]["transcript"]
        assert await queue_of(api) == {"waiting": [], "active": []}  # transferred, not queued


def _const(value):
    async def fetch():
        return value
    return fetch
