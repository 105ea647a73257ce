"""The audit trail in the real console, in a real Chromium: supervisors see who, when, where
and what as text; agents have no audit tab."""

from __future__ import annotations

import aiohttp
import pytest

from .console_browser import SCRIPT, XSS, assert_nothing_ran, chromium, log_in

pytestmark = pytest.mark.slow


async def test_supervisors_read_the_trail_in_the_console_as_text(bot) -> None:
    async with aiohttp.ClientSession() as http:  # an attacker's failed login, name and all
        resp = await http.post(bot.url + "/api/login", json={"username": XSS, "password": "x" * 9})
        assert resp.status == 401
    await bot.services.audit.record("alan", "export", "127.0.0.1", {"what": "tickets", "q": SCRIPT})
    async with chromium() as browser:
        agent, _ = await log_in(browser, bot.url, "alan")
        assert await agent.is_hidden(".tab[data-tab=audit]")
        page, dialogs = await log_in(browser, bot.url, "sam")
        await page.click(".tab[data-tab=audit]")
        await page.wait_for_selector("#audit-table tbody tr")
        rows = await page.eval_on_selector_all(
            "#audit-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
        by_action = {(row[1], row[3]): row for row in rows}
        assert (XSS, "login failed") in by_action, rows  # shown as the text it is
        when, who, where, action, _ = by_action[("sam", "login")]
        assert when and where == "127.0.0.1"
        assert by_action[("alan", "export")][4] == f"what: tickets, q: {SCRIPT}"
        assert [r[1:4] for r in rows[:2]] == [["sam", "127.0.0.1", "login"],
                                                 ["alan", "127.0.0.1", "login"]]  # newest first
        await assert_nothing_ran(page, dialogs)
