"""The audit trail in the real console, in a real Chromium: supervisors see who, when, where
and what as text; agents have no audit tab."""

from __future__ import annotations

import shutil

import aiohttp
import pytest

from tests.escalation.test_console_browser import CHROMIUM, CHROMIUM_ARGS

from .conftest import PASSWORD

pytestmark = pytest.mark.slow

XSS_NAME = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"


async def login_page(browser, url: str, username: str):
    page = await browser.new_page()
    await page.goto(url + "/console")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#app:not([hidden])")
    return page


async def test_supervisors_read_the_trail_in_the_console_as_text(bot) -> None:
    from playwright.async_api import async_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    async with aiohttp.ClientSession() as http:  # an attacker's failed login, name and all
        resp = await http.post(bot.url + "/api/login", json={"username": XSS_NAME, "password": "x" * 9})
        assert resp.status == 401
    await bot.services.audit.record("alan", "export", "127.0.0.1", {"what": "tickets", "q": SCRIPT})
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        agent = await login_page(browser, bot.url, "alan")
        assert await agent.is_hidden(".tab[data-tab=audit]")
        page = await login_page(browser, bot.url, "sam")
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        await page.click(".tab[data-tab=audit]")
        await page.wait_for_selector("#audit-table tbody tr")
        rows = await page.eval_on_selector_all(
            "#audit-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
        by_action = {(row[1], row[3]): row for row in rows}
        assert (XSS_NAME, "login failed") in by_action, rows  # shown as the text it is
        when, who, where, action, _ = by_action[("sam", "login")]
        assert when and where == "127.0.0.1"
        assert by_action[("alan", "export")][4] == f"what: tickets, q: {SCRIPT}"
        assert [r[1:4] for r in rows[:2]] == [["sam", "127.0.0.1", "login"],
                                                 ["alan", "127.0.0.1", "login"]]  # newest first
        await page.wait_for_timeout(300)
        assert await page.evaluate("window.__xss") is None, "a payload ran"
        assert await page.query_selector("img[src=x]") is None and not dialogs
        await browser.close()

