"""Chromium against the real console, for the attack tests: log in, and prove nothing ran."""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.escalation.test_console_browser import CHROMIUM, CHROMIUM_ARGS

from .conftest import PASSWORD

# The payloads set window.__xss or add an <img src=x> if they ever run or become markup.
XSS = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def log_in(browser: Any, url: str, username: str, password: str = PASSWORD) -> tuple[Any, list[str]]:
    """A console page logged in as `username`, and the list its dialogs (alert...) land in."""
    page = await browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(url + "/console")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#app:not([hidden])")
    return page, dialogs


async def assert_nothing_ran(page: Any, dialogs: list[str]) -> None:
    await page.wait_for_timeout(300)
    assert await page.evaluate("window.__xss") is None, "a payload ran"
    assert await page.query_selector("img[src=x]") is None, "a payload became markup"
    assert not dialogs, dialogs


async def export_csv(page: Any, kind: str) -> list[dict[str, str]]:
    """`/api/<kind>.csv` as the logged-in page downloads it; every cell checked inert."""
    text = await page.evaluate(f"fetch('/api/{kind}.csv', {{credentials: 'same-origin'}}).then(r => r.text())")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows, text
    for row in rows:
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@"), (value, text)
    return rows
