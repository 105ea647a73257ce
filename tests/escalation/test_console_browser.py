"""A real headless Chromium drives the console: login, a call appears live, accept, wrap up."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from aiohttp import web

from bot.bench.server_proc import free_port
from escalation.context import build_context
from escalation.web import setup_escalation
from tests.escalation.helpers import open_services

from .fake_call_control import FakeCallControl
from .helpers import until

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
                 "--use-fake-device-for-media-stream"]

pytestmark = pytest.mark.slow


@pytest.fixture
async def console(tmp_path: Path):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (listed in scripts/apt-test.txt)")
    services = await open_services(store="sqlite", sqlite_path=tmp_path / "esc.sqlite3",
                                             business_hours="always", answer_timeout_s=10)
    services.call_control = FakeCallControl()
    await services.agents.add("alice", "alice-password", display_name="Alice Agent")
    app = web.Application()
    setup_escalation(app, services)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield services, f"http://127.0.0.1:{port}"
    await runner.cleanup()
    await services.close()


async def test_agent_sees_call_live_accepts_talks_and_wraps_up(console):
    from playwright.async_api import async_playwright

    services, base = console
    await services.create_ticket({"category": "fees", "description": "charged twice for one coffee",
                                  "account_reference": "12345678", "reference": "C-1001"})
    await services.enqueue(build_context(
        "call-7", "+44 7946 000123", "twilio", "caller_request", "normal", "check_balance", 0.88,
        {}, [("bot", "Hello, how can I help?"), ("caller", "what's my balance")]))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1180, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        response = await page.goto(base + "/console")
        assert response.status == 401  # no session yet: the login form
        await page.fill("#username", "alice")
        await page.fill("#password", "alice-password")
        await page.click("#login-form button[type=submit]")
        await page.wait_for_selector("#app:not([hidden])")
        await page.wait_for_selector("#live.on")
        await page.wait_for_selector('.entry[data-call-id="call-7"]')
        await page.evaluate("window.__sameDocument = true")

        enqueued = time.monotonic()
        await services.enqueue(build_context(
            "call-9", "+44 7946 000999", "twilio", "lost_or_stolen_card", "urgent", "lost_or_stolen_card",
            0.97, {"card_last_digits": "4111111111111111"},
            [("bot", "How can I help?"), ("caller", "my card was stolen, it's 4111 1111 1111 1111")]))
        entry = await page.wait_for_selector('.entry[data-call-id="call-9"]', timeout=5000)
        shown_after = time.monotonic() - enqueued
        assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"
        text = await entry.inner_text()
        assert "URGENT" in text.upper() and "+44 7946 000999" in text
        assert "lost_or_stolen_card (97%)" in text and "****1111" in text
        assert "4111 1111 1111 1111" not in await page.content()
        # Urgent goes above normal without a reload.
        order = await page.eval_on_selector_all(".entry", "els => els.map(e => e.dataset.callId)")
        assert order == ["call-9", "call-7"]
        await services.enqueue(build_context(
            "call-8", "+44 7946 000555", "audiosocket", "complaint", "complaint", "make_complaint", 0.74,
            {"category": "fees", "account_reference": "87654321"},
            [("caller", "I want to complain about a fee")]))
        await page.wait_for_selector('.entry[data-call-id="call-8"]')

        await page.click('.entry[data-call-id="call-9"] button.accept')
        await page.wait_for_selector(".mine")
        control: FakeCallControl = services.call_control
        leg = await until(lambda: _leg(control, "call-9"), lambda leg: leg is not None)
        assert (await services.store.get("call-9")).state == "connected"
        # The page plays the caller's tone and sends its (fake) microphone to the caller.
        # (polled with evaluate: wait_for_function needs eval, which the console's CSP forbids)
        received = await until(lambda: page.evaluate("window.consoleAudio ? window.consoleAudio.received : 0"),
                               lambda n: n > 10, timeout=10)
        assert received > 10
        await until(_const(leg), lambda lg: len(lg.from_agent) > 16000, timeout=10)
        assert len(leg.from_agent) > 16000 and len(leg.from_agent) % 2 == 0

        await page.fill(".mine textarea", "Card blocked, new card ordered")
        await page.select_option(".mine select.disposition", "resolved")
        await page.click(".mine .actions button:text('Wrap up')")
        await page.wait_for_selector(".mine", state="detached")
        assert await services.store.get("call-9") is None
        wrap = await services.store.get_record("wrapup", "call-9")
        assert wrap["notes"] == "Card blocked, new card ordered" and wrap["agent"] == "alice"
        assert ("hang_up", "call-9") in control.actions

        await page.click(".tab[data-tab=tickets]")
        row = await page.wait_for_selector("#tickets-table tbody tr")
        assert "C-1001" in await row.inner_text()
        await browser.close()
    assert not errors, errors
    assert shown_after < 2.0  # generous: the 200 ms p95 bound is measured by `voicebot bench queue`


async def _leg(control: FakeCallControl, call_id: str):
    return control.legs.get(call_id)


def _const(value):
    async def fetch():
        return value
    return fetch
