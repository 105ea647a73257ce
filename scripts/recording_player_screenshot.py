"""Take docs/recording-player.png: a real server recording calls, a scripted complaint call
over the Twilio protocol (account number keyed in), and the supervisors' player in Chromium.

    PYTHONPATH=. .venv/bin/python scripts/recording_player_screenshot.py
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.bench.server_proc import ServerProcess  # noqa: E402
from tests.e2e.conftest import E2E_ENV  # noqa: E402
from tests.e2e.recording_calls import complaint_call  # noqa: E402

PASSWORD = "screenshot-supervisor"


async def shoot(server: ServerProcess, call_id: str, out: Path) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium",
                                           args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = await browser.new_page(viewport={"width": 1280, "height": 940})
        await page.goto(server.base_url + "/console")
        await page.fill("#username", "sam")
        await page.fill("#password", PASSWORD)
        await page.click("#login-form button[type=submit]")
        await page.wait_for_selector("#live.on")
        await page.goto(f"{server.base_url}/console/recordings?call={call_id}")
        await page.wait_for_selector("#turns li")
        await page.wait_for_function("document.getElementById('audio').duration > 1")
        await page.locator("#turns li").nth(4).click()  # the keyed account number: a PCI pause
        await page.evaluate("document.getElementById('audio').pause()")
        await page.wait_for_timeout(500)
        await page.screenshot(path=str(out), full_page=True)
        await browser.close()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="recording-shot-") as tmp:
        server = ServerProcess({**E2E_ENV, "VOICEBOT_RECORDING__MODE": "all",
                                "VOICEBOT_CALLS__ADMISSION": "count"}, Path(tmp), cwd=ROOT)
        try:
            server.wait_ready("/readyz", 240)
            env = {**os.environ, "VOICEBOT_PATHS__DATA_DIR": str(Path(tmp) / "var")}
            subprocess.run([sys.executable, "-m", "bot", "agents", "add", "sam", "--role", "supervisor",
                            "--name", "Sam Supervisor", "--password-stdin"], input=PASSWORD + "\n",
                           text=True, check=True, cwd=ROOT, env=env, capture_output=True)
            times = asyncio.run(complaint_call(server.ws_url))
            for _ in range(100):  # the recording is kept once the call has ended
                if (Path(tmp) / "var" / "recordings" / f"{times.call_id}.json").exists():
                    break
                asyncio.run(asyncio.sleep(0.1))
            out = ROOT / "docs" / "recording-player.png"
            asyncio.run(shoot(server, times.call_id, out))
            print(f"wrote {out}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
