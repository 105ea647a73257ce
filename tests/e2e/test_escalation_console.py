"""A real caller reaches a real agent: Twilio caller -> `voicebot serve` -> headless Chromium console.

The agent is added with `voicebot agents add --password-stdin`, logs in, sees the caller who
pressed 0 appear live with their context, accepts, and talks through Chromium's fake
microphone (a flite recording); the caller hears it, the page hears the caller, the agent
wraps up, the call leaves the queue. The screenshots in docs/ come from this test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.caller.twilio_client import TwilioCaller, rms
from bot.caller.voices import speak
from tests.conftest import PROJECT_ROOT
from tests.escalation.helpers import api_session, queue_of, until

CHROMIUM = "/usr/bin/chromium"
DOCS = PROJECT_ROOT / "docs"
AGENT_LINE = "Hello, this is Alice at the bank. I can see you asked for a person. How can I help?"

pytestmark = pytest.mark.slow


def add_agent(data_dir: Path, username: str, password: str, name: str) -> str:
    """`voicebot agents add` as a new user runs it, against the server's data directory."""
    env = {**os.environ, "VOICEBOT_PATHS__DATA_DIR": str(data_dir)}
    done = subprocess.run([sys.executable, "-m", "bot", "agents", "add", username, "--name", name,
                           "--password-stdin"], input=password + "\n", text=True, capture_output=True,
                          cwd=PROJECT_ROOT, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def agent_voice(tmp: Path) -> Path:
    """The agent's microphone: a flite recording Chromium loops as its fake capture device."""
    wav = tmp / "agent.wav"
    subprocess.run(["flite", "-voice", "slt", "-t", AGENT_LINE, "-o", str(wav)], check=True, timeout=30)
    return wav


def heard_since(call: TwilioCaller, t: float) -> bytes:
    """PCM16 8 kHz the caller received after monotonic time `t`."""
    return b"".join(pcm for at, pcm in call._bot_audio if at >= t)


async def test_agent_takes_a_real_call_in_chromium(bot_server, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/apt-test.txt)")
    data_dir = bot_server.log_path.parent / "var"
    assert "added agent alice" in add_agent(data_dir, "alice", "alice-e2e-password", "Alice Agent")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream", f"--use-file-for-fake-audio-capture={agent_voice(tmp_path)}",
            "--autoplay-policy=no-user-gesture-required"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=args)
        page = await browser.new_page(viewport={"width": 1180, "height": 860})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        assert (await page.goto(bot_server.base_url + "/console")).status == 401  # the login form
        await page.fill("#username", "alice")
        await page.fill("#password", "alice-e2e-password")
        await page.click("#login-form button[type=submit]")
        await page.wait_for_selector("#live.on")
        await page.evaluate("window.__sameDocument = true")

        async with TwilioCaller(bot_server.ws_url, caller="+15550142007") as call:
            await call.listen(timeout_s=25)  # the greeting
            await call.press("0")
            sid = call.log.call_sid
            entry = await page.wait_for_selector(f'.entry[data-call-id="{sid}"]', timeout=20000)
            assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"
            text = await entry.inner_text()
            assert "+15550142007" in text and "twilio" in text
            assert "The caller asked to speak to a person (pressed 0 on the keypad). Escalated as normal because the caller asked for a person." in text
            assert await call.wait_bot_audio(15)  # "You are number 1..." then hold audio
            await page.click(f'.entry[data-call-id="{sid}"] details summary')  # show the transcript
            await asyncio.sleep(1.0)
            await page.screenshot(path=str(DOCS / "console.png"), full_page=True)

            await page.click(f'.entry[data-call-id="{sid}"] button.accept')
            await page.wait_for_selector(".mine")
            sent = await until(lambda: page.evaluate("window.consoleAudio ? window.consoleAudio.sent : 0"),
                               lambda n: n > 25, timeout=10)
            assert sent > 25, "the page did not send microphone audio"
            bridged_at = time.monotonic() + 0.3  # hold audio already in flight may still land
            async with api_session(bot_server.base_url, "alice", "alice-e2e-password") as api:
                queue = await queue_of(api)
                assert [e["call_id"] for e in queue["active"]] == [sid]
                assert queue["active"][0]["state"] == "connected" and queue["waiting"] == []

            # The caller hears the agent: a steady stream of non-silent frames.
            await asyncio.sleep(3.0)
            heard = heard_since(call, bridged_at)
            assert len(heard) / 2 / 8000 > 2.0, f"only {len(heard) / 16000:.2f} s of agent audio"
            assert rms(heard) > 300, f"the agent's audio is silent (rms {rms(heard):.0f})"

            # The agent hears the caller.
            quiet_peak = await page.evaluate("window.consoleAudio.peak")
            await call.say_pcm(speak("I would like to dispute a payment on my card", "rms"))
            peak = await until(lambda: page.evaluate("window.consoleAudio.peak"),
                               lambda p: p > 2000, timeout=5)
            assert quiet_peak < 500 and peak > 2000, (quiet_peak, peak)
            received_s = await page.evaluate("window.consoleAudio.samples") / 16000
            assert received_s > 3.0, f"the page got only {received_s:.1f} s of the caller"
            await page.screenshot(path=str(DOCS / "console-call.png"), full_page=True)

            await page.fill(".mine textarea", "Disputed card payment; dispute form sent")
            await page.select_option(".mine select.disposition", "resolved")
            await page.click(".mine .actions button:text('Wrap up')")
            await page.wait_for_selector(".mine", state="detached")
            assert await call.wait_closed(20), "wrap-up did not end the call"
        await browser.close()
    async with api_session(bot_server.base_url, "alice", "alice-e2e-password") as api:
        queue = await queue_of(api)
        assert queue == {"waiting": [], "active": []}
    assert not errors, errors
