"""Supervisor monitoring on real calls: a Twilio caller on a real `voicebot serve`, an agent's
and a supervisor's audio sockets as real aiohttp WebSocket clients, the energy of each leg.

Listen: the supervisor hears the caller and the bot. Whisper: the agent hears the supervisor,
the caller does not. Barge: all three hear each other. Agents are refused; every start is
audited. In Chromium: the supervisor's live-calls page shows the call and hears the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time

import aiohttp
import numpy as np
import pytest

from bot.caller.twilio_client import TwilioCaller, rms
from bot.caller.voices import speak
from tests.conftest import PROJECT_ROOT
from tests.e2e.test_escalation_calls import PASSWORD, add_agent
from tests.escalation.helpers import api_session, queue_of, until

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
FRAME = 320  # 20 ms at 16 kHz
TONE = (np.sin(2 * np.pi * 440 * np.arange(FRAME) / 16000) * 8000).astype(np.int16).tobytes()
SILENCE = b"\x00" * (FRAME * 2)
LOUD, QUIET = 1000.0, 100.0  # RMS of a leg that carries a voice or tone, and of one that does not


class AudioLeg:
    """A console audio socket (agent's or supervisor's): sends a 20 ms frame every 20 ms (tone
    or silence, as a browser's microphone would) and keeps what it hears with arrival times."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.talking = False
        self.heard: list[tuple[float, bytes]] = []
        self.texts: asyncio.Queue[dict] = asyncio.Queue()
        self._tasks = [asyncio.create_task(self._send()), asyncio.create_task(self._receive())]

    async def _send(self) -> None:
        start, index = time.monotonic(), 0
        with contextlib.suppress(ConnectionError, RuntimeError):
            while not self.ws.closed:
                await asyncio.sleep(max(0.0, start + index * 0.02 - time.monotonic()))
                await self.ws.send_bytes(TONE if self.talking else SILENCE)
                index += 1

    async def _receive(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                self.heard.append((time.monotonic(), msg.data))
            elif msg.type == aiohttp.WSMsgType.TEXT:
                self.texts.put_nowait(msg.json())

    def rms_between(self, t0: float, t1: float) -> float:
        return rms(b"".join(pcm for at, pcm in self.heard if t0 <= at <= t1))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.ws.close()


def caller_rms_between(call: TwilioCaller, t0: float, t1: float) -> float:
    return rms(b"".join(pcm for at, pcm in call._bot_audio if t0 <= at <= t1))


async def talk(leg: AudioLeg, seconds: float) -> tuple[float, float]:
    """`leg` sends its tone for `seconds`; the window to measure (after the mix settles)."""
    leg.talking = True
    start = time.monotonic()
    await asyncio.sleep(seconds)
    leg.talking = False
    return start + 0.4, time.monotonic()


async def switch(leg: AudioLeg, mode: str) -> None:
    await leg.ws.send_json({"mode": mode})
    assert (await asyncio.wait_for(leg.texts.get(), 5)) == {"type": "mode", "mode": mode}


async def live_call(api, call_id: str) -> dict:
    calls = (await api.get("/api/monitor/calls"))["calls"]
    return next((c for c in calls if c["call_id"] == call_id), {})


async def test_listen_whisper_and_barge_on_a_real_call(bot_server) -> None:
    data_dir = bot_server.log_path.parent / "var"
    await add_agent(data_dir, "ana", "agent")
    await add_agent(data_dir, "sue", "supervisor")
    base = bot_server.base_url
    async with api_session(base, "sue", PASSWORD) as sup, api_session(base, "ana", PASSWORD) as agent, \
            TwilioCaller(bot_server.ws_url, caller="+15550142031") as call:
        await call.listen(timeout_s=30)  # the greeting
        sid = call.log.call_sid
        row = await until(lambda: live_call(sup, sid), lambda r: r.get("state") == "listening", timeout=5)
        assert row["agent"] is None and row["state"] == "listening" and row["duration_s"] > 1, row

        # Agents may not watch, and whisper needs an agent on the call.
        assert (await agent.http.get("/api/monitor/calls")).status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await agent.http.ws_connect(f"/console/monitor/{sid}/audio?mode=listen")
        assert refused.value.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError) as no_agent:
            await sup.http.ws_connect(f"/console/monitor/{sid}/audio?mode=whisper")
        assert no_agent.value.status == 409

        # Listen to the caller and the bot.
        supervisor = AudioLeg(await sup.http.ws_connect(f"/console/monitor/{sid}/audio?mode=listen"))
        assert (await asyncio.wait_for(supervisor.texts.get(), 5))["mode"] == "listen"
        await asyncio.sleep(1.5)
        said_at = time.monotonic()
        await call.say_pcm(speak("I would like to know when my new card will arrive"))
        said_until = time.monotonic()
        reply = await call.listen(timeout_s=20)
        assert reply.first_audio_at is not None, "the bot did not answer"
        quiet = supervisor.rms_between(said_at - 1.2, said_at - 0.1)
        caller = supervisor.rms_between(said_at + 0.3, said_until - 0.3)
        bot = supervisor.rms_between(reply.first_audio_at + 0.2, reply.last_audio_at)
        assert quiet < QUIET and caller > LOUD and bot > 300, (quiet, caller, bot)
        assert (await live_call(sup, sid))["last_intent"], "the live list lacks the last intent"

        # The caller asks for a person; the agent takes the call.
        await call.press("0")
        await until(lambda: queue_of(agent), lambda q: sid in [e["call_id"] for e in q["waiting"]], timeout=20)
        assert (await agent.post(f"/api/queue/{sid}/accept")).status == 200
        ana = AudioLeg(await agent.http.ws_connect(f"/console/audio/{sid}"))
        row = await until(lambda: live_call(sup, sid), lambda r: r.get("agent") == "ana", timeout=10)
        assert row["state"] == "bridged", row
        await asyncio.sleep(1.0)  # hold audio already in flight lands

        # Whisper: the agent hears the supervisor, the caller does not.
        await switch(supervisor, "whisper")
        t0, t1 = await talk(supervisor, 2.0)
        to_agent, to_caller = ana.rms_between(t0, t1), caller_rms_between(call, t0, t1)
        assert to_agent > LOUD and to_caller < QUIET, (to_agent, to_caller)

        # Barge: all three hear each other.
        await switch(supervisor, "barge")
        t0, t1 = await talk(supervisor, 2.0)
        to_agent, to_caller = ana.rms_between(t0, t1), caller_rms_between(call, t0, t1)
        assert to_agent > LOUD and to_caller > LOUD, (to_agent, to_caller)
        assert supervisor.rms_between(t0, t1) < QUIET, "the supervisor hears their own voice"
        t0, t1 = await talk(ana, 2.0)
        agent_to_sup, agent_to_caller = supervisor.rms_between(t0, t1), caller_rms_between(call, t0, t1)
        assert agent_to_sup > LOUD and agent_to_caller > LOUD, (agent_to_sup, agent_to_caller)
        said_at = time.monotonic()
        await call.say_pcm(speak("Thank you both, that is very helpful"))
        said_until = time.monotonic()
        caller_to_sup = supervisor.rms_between(said_at + 0.3, said_until - 0.3)
        caller_to_agent = ana.rms_between(said_at + 0.3, said_until - 0.3)
        assert caller_to_sup > LOUD and caller_to_agent > LOUD, (caller_to_sup, caller_to_agent)

        row = await live_call(sup, sid)
        assert row["supervisors"] == [{"username": "sue", "mode": "barge"}], row
        entries = (await sup.get("/api/audit?limit=100"))["entries"]
        started = [e["action"] for e in entries if e["who"] == "sue" and e["what"] == {"call_id": sid}]
        assert sorted(started) == ["monitor_barge", "monitor_listen", "monitor_whisper"], started
        await supervisor.close()
        await ana.close()
        await call.hangup()


async def test_the_supervisor_page_lists_the_call_and_hears_the_caller(bot_server, tmp_path) -> None:
    from playwright.async_api import async_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/apt-test.txt)")
    data_dir = bot_server.log_path.parent / "var"
    await add_agent(data_dir, "sol", "supervisor")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=args)
        page = await browser.new_page(viewport={"width": 1180, "height": 700})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(bot_server.base_url + "/console")
        await page.fill("#username", "sol")
        await page.fill("#password", PASSWORD)
        await page.click("#login-form button[type=submit]")
        await page.wait_for_selector("#live.on")
        await page.click("a[href='/console/monitor']")
        await page.wait_for_selector("#live.on")
        async with TwilioCaller(bot_server.ws_url, caller="+15550142032") as call:
            await call.listen(timeout_s=30)
            sid = call.log.call_sid
            row = await page.wait_for_selector(f'tr.call[data-call-id="{sid}"]', timeout=10000)
            assert "+15550142032" in await row.inner_text()
            # The list is pushed each second: the greeting's end reaches it within one push.
            await page.wait_for_selector(f'tr.call[data-call-id="{sid}"] td.state:text-is("listening")',
                                         timeout=5000)
            assert await (await row.query_selector(".agent")).inner_text() == "bot"
            await page.click(f'tr.call[data-call-id="{sid}"] button.listen')
            await until(lambda: page.evaluate("window.monitor.joined ? window.monitor.joined.samples : 0"),
                        lambda n: n > 16000, timeout=10)
            quiet_peak = await page.evaluate("window.monitor.joined.peak")
            await call.say_pcm(speak("I would like to dispute a payment on my card"))
            peak = await until(lambda: page.evaluate("window.monitor.joined.peak"), lambda p: p > 2000, timeout=5)
            assert quiet_peak < 500 and peak > 2000, (quiet_peak, peak)
            duration = await (await page.query_selector(f'tr.call[data-call-id="{sid}"] .duration')).inner_text()
            assert duration != "0:00", duration
            await page.screenshot(path=str(PROJECT_ROOT / "docs" / "monitor.png"), full_page=True)
            await call.hangup()
            await page.wait_for_selector(f'tr.call[data-call-id="{sid}"]', state="detached", timeout=10000)
        await browser.close()
    assert not errors, errors
