"""Take docs/analytics.png: the analytics page over two generated weeks of calls.

    PYTHONPATH=. .venv/bin/python scripts/analytics_screenshot.py [--out docs/analytics.png]

Generates the records into a temporary directory (bot/bench/analytics_data.py), serves the
console on 127.0.0.1, logs a supervisor in with headless Chromium and photographs the page.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import date
from pathlib import Path

from bot.bench.analytics_data import analytics_site, seed
from bot.config import Settings
from escalation.services import EscalationServices

CHROMIUM = "/usr/bin/chromium"
FIRST_DAY, DAYS = date(2026, 11, 16), 14


async def photograph(tmp: Path, out: Path) -> None:
    from playwright.async_api import async_playwright

    services = await EscalationServices.open_from_settings(
        Settings(), store="sqlite", sqlite_path=tmp / "esc.sqlite3", business_hours="always",
        spool_path=None)
    await services.agents.add("sue", "screenshot-password", "supervisor", display_name="Sue Supervisor")
    try:
        async with analytics_site(tmp / "calls.db", services) as base, async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM,
                                               args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = await browser.new_page(viewport={"width": 1300, "height": 900})
            await page.goto(base + "/console")
            await page.fill("#username", "sue")
            await page.fill("#password", "screenshot-password")
            await page.click("#login-form button[type=submit]")
            await page.wait_for_selector("#app:not([hidden])")
            await page.goto(f"{base}/console/analytics?from=2026-11-23&to=2026-11-29")
            for _ in range(100):
                if await page.evaluate("window.analytics ? window.analytics.loads : 0"):
                    break
                await asyncio.sleep(0.1)
            await page.screenshot(path=str(out), full_page=True)
            await browser.close()
    finally:
        await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/analytics.png"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="analytics-shot-") as name:
        tmp = Path(name)
        seed(tmp / "calls.db", tmp / "esc.sqlite3", 9000, FIRST_DAY, DAYS)
        asyncio.run(photograph(tmp, args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
