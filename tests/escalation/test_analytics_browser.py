"""The analytics page in a real headless Chromium: a supervisor logs in at the console, opens
Analytics, every chart is drawn from the seeded records, the numbers shown are the API's (and
the direct SQL counts), and the filter changes what is shown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .analytics_rig import analytics_rig, epoch, sql
from .helpers import until
from .test_console_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow

CHARTS = {  # canvas -> the colour of its first series (analytics.js COLORS)
    "chart-calls": (0x1F, 0x6F, 0xEB), "chart-outcomes": (0x2E, 0x7D, 0x32),
    "chart-reasons": (0x6A, 0x1B, 0x9A), "chart-intents": (0x00, 0x83, 0x8F),
    "chart-latency": (0x1F, 0x6F, 0xEB), "chart-queue": (0x2E, 0x7D, 0x32),
    "chart-handle": (0x5D, 0x40, 0x37),
}
# Pixels within a few levels of a colour inside the plot area (not the legend): what a drawn
# series leaves on the canvas.
COUNT_COLOUR = """([id, rgb]) => {
  const canvas = document.getElementById(id);
  const area = window.analytics.charts[id].chartArea, scale = window.devicePixelRatio || 1;
  const [x, y] = [Math.ceil(area.left * scale), Math.ceil(area.top * scale)];
  const [w, h] = [Math.floor((area.right - area.left) * scale), Math.floor((area.bottom - area.top) * scale)];
  const data = canvas.getContext("2d").getImageData(x, y, w, h).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 200 && Math.abs(data[i] - rgb[0]) < 12 && Math.abs(data[i + 1] - rgb[1]) < 12
        && Math.abs(data[i + 2] - rgb[2]) < 12) n++;
  }
  return n;
}"""


async def loaded(page, n: int) -> None:
    """Wait until the page has shown its n-th report (polled: the page's CSP forbids eval)."""
    loads = await until(lambda: page.evaluate("window.analytics ? window.analytics.loads : 0"),
                        lambda value: value >= n, timeout=15)
    assert loads >= n, f"the page showed {loads} reports, not {n}"


async def pixels(page, canvas: str) -> int:
    return await page.evaluate(COUNT_COLOUR, [canvas, list(CHARTS[canvas])])


async def test_supervisor_sees_charts_drawn_from_the_records_and_filters_them(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (listed in scripts/apt-test.txt)")
    async with analytics_rig(tmp_path) as rig, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1300, "height": 1600})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        missing: list[str] = []
        page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
        assert (await page.goto(rig.base_url + "/console")).status == 401
        await page.fill("#username", "sue")
        await page.fill("#password", "sue-password")
        await page.click("#login-form button[type=submit]")
        link = await page.wait_for_selector("a[href='/console/analytics']:visible")
        await link.click()
        await page.wait_for_url("**/console/analytics*")
        await loaded(page, 1)

        await page.fill("#from", "2026-11-02")
        await page.fill("#to", "2026-11-04")
        await page.click("#filters button[type=submit]")
        await loaded(page, 2)
        report = await page.evaluate("window.analytics.report")
        assert report["window"] == {"from": "2026-11-02", "to": "2026-11-04", "channel": None,
                                    "timezone": "UTC"}
        for canvas in CHARTS:
            assert await pixels(page, canvas) > 40, f"{canvas} is blank"
        (calls,), = sql(rig.calls_db, "SELECT COUNT(*) FROM calls WHERE started_at >= ? AND started_at < ?",
                        (epoch(2026, 11, 2), epoch(2026, 11, 5)))
        assert await page.text_content("#tiles [data-metric=calls]") == str(calls)
        shown = await page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
            '#tiles [data-metric]')].map(n => [n.dataset.metric, n.dataset.value]))""")
        assert {k: float(v) for k, v in shown.items()} == {k: float(report["summary"][k]) for k in shown}
        rate = report["summary"]["fallback_rate"]
        assert await page.text_content("#tiles [data-metric=fallback_rate]") == f"{rate * 100:.1f} %"
        drawn = await page.evaluate("window.analytics.charts['chart-outcomes'].data.datasets[0].data")
        assert drawn == [d["contained"] for d in report["outcomes_per_day"]]
        assert sum(await page.evaluate("window.analytics.charts['chart-calls'].data.datasets[0].data")) == calls
        csv_link = await page.get_attribute("#csv", "href")
        assert "from=2026-11-02" in csv_link and "format=csv" in csv_link

        # One channel: fewer calls, and the tiles and charts say so.
        await page.select_option("#channel", "browser")
        await page.click("#filters button[type=submit]")
        await loaded(page, 3)
        (browser_calls,), = sql(rig.calls_db, "SELECT COUNT(*) FROM calls WHERE started_at >= ? AND "
                                "started_at < ? AND channel = 'browser'", (epoch(2026, 11, 2), epoch(2026, 11, 5)))
        assert 0 < browser_calls < calls
        assert await page.text_content("#tiles [data-metric=calls]") == str(browser_calls)
        assert sum(await page.evaluate("window.analytics.charts['chart-calls'].data.datasets[0].data")) == browser_calls
        assert "channel=browser" in await page.get_attribute("#csv", "href")
        assert await pixels(page, "chart-calls") > 40
        assert not errors, errors
        assert not missing, missing
        await browser.close()


async def test_an_agent_is_refused_the_page_in_chromium(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    async with analytics_rig(tmp_path, n_calls=20) as rig, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        await page.goto(rig.base_url + "/console")
        await page.fill("#username", "alice")
        await page.fill("#password", "alice-password")
        await page.click("#login-form button[type=submit]")
        await page.wait_for_selector("#app:not([hidden])")
        assert not await page.is_visible("a[href='/console/analytics']")
        response = await page.goto(rig.base_url + "/console/analytics")
        assert response.status == 403
        assert "for supervisors" in await page.text_content("body")
        await browser.close()
