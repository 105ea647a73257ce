"""Take docs/review-groups.png: the Review page over a week of generated misunderstood turns.

    PYTHONPATH=. .venv/bin/python scripts/review_screenshot.py [--out docs/review-groups.png]

Writes call records (what callers said that a bank's bot often misses, in several wordings)
into a temporary directory, serves the console with the real review desk on 127.0.0.1, logs a
designer in with headless Chromium and photographs the page (the similar wordings grouped by
the NLU's sentence vectors). docs/review.png and docs/review-candidate.png come from the real
calls of tests/e2e/test_review_loop.py.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from aiohttp import web

from bot.bench.server_proc import free_port
from bot.call.records import CallRecords
from bot.config import PROJECT_ROOT, Settings
from bot.recording.desk import RecordingDesk
from bot.review.desk import ReviewDesk
from escalation.review_web import REVIEW_KEY
from escalation.services import EscalationServices
from escalation.web import setup_escalation

CHROMIUM = "/usr/bin/chromium"
# (wordings, how many callers, intent the bot took it for, confidence, next turn)
SAID = [
    (["the machine kept my card", "the cash machine swallowed my card", "the atm kept my card",
      "my card got stuck in the cash machine"], 37, "nlu_fallback", 0.41,
     "no I said I want to talk to a person"),
    (["can I pay my council tax with the card", "can I pay council tax by card"], 12, "card_payment_fee_charged",
     0.64, None),
    (["I need a letter for my mortgage", "can you send me a bank reference letter"], 8, "out_of_scope", 0.88,
     "I want to speak to someone"),
]


async def seed(records: CallRecords) -> None:
    rng = random.Random(21)
    now = time.time()
    n = 0
    for wordings, callers, intent, confidence, next_text in SAID:
        for _ in range(callers):
            n += 1
            call_id = f"CA{n:04d}"
            await records.call_started(call_id, rng.choice(["twilio", "audiosocket"]), "+1555010")
            await records.turn(call_id, 1, "event", "[call_start]", "call_start", 1.0, ["Hello."], None, {})
            handoff = {"reason": "out_of_scope", "priority": "normal"} if intent == "out_of_scope" else None
            await records.turn(call_id, 2, "text", rng.choice(wordings), intent, confidence - rng.random() * 0.05,
                               ["Sorry, I didn't quite get that. Could you say it in a different way?"], handoff, {})
            if next_text:
                await records.turn(call_id, 3, "text", next_text, "request_human", 0.93,
                                   ["Let me get you a person."], None, {})
            await records.db.execute("UPDATE turns SET at = ? WHERE call_id = ?",
                                     (now - rng.random() * 6 * 86400, call_id))
    await records.db.commit()


async def photograph(tmp: Path, out: Path) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(review={"candidates_dir": str(tmp / "cand"), "history_dir": str(tmp / "hist")},
                        nlu={"model_dir": str(tmp / "rasa")})
    services = await EscalationServices.open_from_settings(
        settings, store="sqlite", sqlite_path=tmp / "esc.sqlite3", business_hours="always", spool_path=None)
    await services.agents.add("dana", "screenshot-password", "designer", display_name="Dana Designer")
    records = await CallRecords(tmp / "calls.db").open()
    await seed(records)
    app = web.Application()
    setup_escalation(app, services)
    app[REVIEW_KEY] = ReviewDesk(settings, records, services.store, RecordingDesk.off(), engine=None)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM,
                                               args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = await browser.new_page(viewport={"width": 1300, "height": 1000})
            await page.goto(base + "/console/review")
            await page.fill("#username", "dana")
            await page.fill("#password", "screenshot-password")
            await page.click("#login-form button[type=submit]")
            await page.wait_for_selector(".group h2", timeout=30000)
            await page.screenshot(path=str(out), full_page=False)
            await browser.close()
    finally:
        await runner.cleanup()
        await records.close()
        await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "review-groups.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="review-shot-") as tmp:
        asyncio.run(photograph(Path(tmp), args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
