"""Call recordings end to end: a real call over the Twilio protocol to a real server recording
every call, encrypted; the FLAC checked channel by channel; consent declined by key; purge;
a supervisor plays it in Chromium with the transcript, an agent is refused."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from bot.caller.dial import fetch_record
from bot.caller.twilio_client import TwilioCaller
from bot.caller.voices import speak
from bot.recording import library
from bot.recording.crypto import WrongKey, new_key
from tests.conftest import PROJECT_ROOT, ServerProcess
from tests.e2e.conftest import start_e2e_server
from tests.e2e.recording_calls import CallTimes, complaint_call
from tests.escalation.helpers import api_session, until

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
KEY = new_key()
PASSWORDS = {"sam": "sam-supervisor-password", "alice": "alice-agent-password"}


def voicebot(data_dir: Path, *args: str, stdin: str = "") -> str:
    env = {**os.environ, "VOICEBOT_PATHS__DATA_DIR": str(data_dir),
           "VOICEBOT_RECORDING__ENCRYPTION_KEY": KEY, "VOICEBOT_RECORDING__RETENTION_DAYS": "30"}
    done = subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, cwd=PROJECT_ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_e2e_server(tmp_path_factory.mktemp("recordings"), {
        "VOICEBOT_RECORDING__MODE": "all", "VOICEBOT_RECORDING__ENCRYPTION_KEY": KEY})
    server.data_dir = server.directory / "var"
    for name, role in (("sam", "supervisor"), ("alice", "agent")):
        voicebot(server.data_dir, "agents", "add", name, "--role", role, "--password-stdin",
                 stdin=PASSWORDS[name] + "\n")
    yield server
    server.stop()


def stored(server: ServerProcess, call_id: str) -> dict | None:
    for _ in range(150):
        meta = library.metadata(server.data_dir / "recordings", call_id)
        if meta is not None:
            return meta
        time.sleep(0.1)
    return None


def call_over(server: ServerProcess, call_id: str, what: str) -> bool:
    for _ in range(150):
        if any(call_id in line and what in line for line in server.log().splitlines()):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def complaint(server: ServerProcess) -> tuple[CallTimes, dict, np.ndarray]:
    times = asyncio.run(complaint_call(server.ws_url))
    meta = stored(server, times.call_id)
    assert meta is not None, f"no recording for {times.call_id}:\n{server.log()[-3000:]}"
    data = library.audio(server.data_dir / "recordings", times.call_id, KEY)
    audio, rate = soundfile.read(io.BytesIO(data), dtype="int16")
    assert rate == 8000
    return times, meta, audio


def level(audio: np.ndarray, channel: int, start_s: float, end_s: float) -> float:
    part = audio[int(start_s * 8000):int(end_s * 8000), channel].astype(np.float64)
    return float(np.sqrt(np.mean(part ** 2))) if part.size else 0.0


def loud_stretches(audio: np.ndarray, channel: int, gap_s: float = 0.5) -> list[tuple[float, float]]:
    """(start, end) in seconds of the stretches where `channel` is loud (20 ms frames over an
    RMS of 300), pauses shorter than `gap_s` bridged."""
    frame = 160
    usable = audio.shape[0] // frame * frame
    frames = audio[:usable, channel].astype(np.float64).reshape(-1, frame)
    loud = np.sqrt(np.mean(frames ** 2, axis=1)) > 300
    stretches: list[tuple[float, float]] = []
    for i in np.flatnonzero(loud):
        t = i * 0.02
        if stretches and t - stretches[-1][1] < gap_s:
            stretches[-1] = (stretches[-1][0], t + 0.02)
        else:
            stretches.append((t, t + 0.02))
    return stretches


def inside(start: float, end: float, pauses: list[dict]) -> bool:
    return any(p["start_s"] <= start and end <= p["end_s"] for p in pauses)


def overlaps(start: float, end: float, pauses: list[dict]) -> bool:
    return any(start < p["end_s"] and p["start_s"] < end for p in pauses)


async def test_the_caller_is_on_the_left_and_the_bot_on_the_right_where_each_spoke(complaint) -> None:
    times, meta, audio = complaint
    assert audio.ndim == 2 and audio.shape[1] == 2
    assert abs(audio.shape[0] / 8000 - meta["duration_s"]) < 0.05
    paused = meta["paused"]
    spoken = [(s, e) for s, e in times.caller if not overlaps(s, e, paused)]
    assert len(spoken) >= 4
    for start, end in spoken:  # the caller's words: left loud, right quiet
        assert level(audio, 0, start, end) > 300, (start, end)
        assert level(audio, 1, start + 0.2, end - 0.2) < 100, (start, end)
    replies = [(s, e, label) for s, e, label in times.bot if e - s > 1.0 and not overlaps(s, e, paused)]
    assert len(replies) >= 4
    # The caller's clock places a reply by counting its frames back from when it went quiet,
    # up to ~0.9 s off the recording's clock (seen both before and after the phone-band
    # voices); so where the bot spoke is read off the right channel, and each reply the
    # caller heard must be one of those stretches.
    spoken_by_bot = [(s, e) for s, e in loud_stretches(audio, 1) if e - s > 1.0 and not overlaps(s, e, paused)]
    for start, end, label in replies:
        assert any(overlaps(start, end, [{"start_s": s, "end_s": e}]) for s, e in spoken_by_bot), label
    for start, end in spoken_by_bot:  # the bot's replies: right loud, left quiet
        assert level(audio, 0, start + 0.2, end - 0.2) < 100, (start, end)


async def test_a_keyed_account_number_and_its_read_back_are_silent_and_marked(complaint) -> None:
    times, meta, audio = complaint
    key_start, key_end = times.keys
    pause = next((p for p in meta["paused"] if p["start_s"] <= key_start and key_end <= p["end_s"]), None)
    assert pause is not None, (times.keys, meta["paused"])
    assert "keypad" in pause["reasons"] and "sensitive" in pause["reasons"]
    read_back = next(b for b in times.bot if b[2] == "read back")
    assert read_back[1] - read_back[0] > 2.0  # the caller heard it...
    assert inside(read_back[0] + 0.3, read_back[1] - 0.3, meta["paused"])  # ...the recording did not
    start, end = pause["start_s"], pause["end_s"]
    assert end - start > 4.0
    assert not audio[int(start * 8000):int(end * 8000)].any()  # digital silence on both channels
    ticket = next(b for b in times.bot if b[2] == "ticket")  # recording again afterwards
    assert level(audio, 1, ticket[0] + 0.2, ticket[1] - 0.2) > 300


async def test_the_keyed_account_number_is_not_in_the_call_record(server, complaint) -> None:
    times, _, _ = complaint
    record = await fetch_record(server.ws_url, server.token, times.call_id, timeout_s=15)
    assert record is not None
    texts = " ".join(f"{t['user_text']} {t['bot_text']}" for t in record["turns"])
    assert "[ACCOUNT NUMBER]" in texts  # the keyed number and the bot's read-back, masked
    digits = "".join(ch for ch in texts if ch.isdigit())
    assert "1234" not in digits and "5678" not in digits, texts


async def test_the_recording_is_encrypted_at_rest(server, complaint) -> None:
    times, meta, _ = complaint
    path = server.data_dir / "recordings" / meta["file"]
    assert meta["encrypted"] and path.suffix == ".enc"
    assert not list(path.parent.glob("*.flac")) and not list(path.parent.glob("*.part"))
    with pytest.raises(soundfile.LibsndfileError):
        soundfile.read(path)
    with pytest.raises(WrongKey):
        library.audio(path.parent, times.call_id, new_key())


@pytest.mark.parametrize("decline", ["key", "voice"])
async def test_declining_consent_leaves_no_recording_and_the_call_goes_on(server, decline: str) -> None:
    async with TwilioCaller(server.ws_url) as call:
        await call.listen(timeout_s=25)
        if decline == "key":
            await call.press("9")
        else:
            await call.say_pcm(speak("no recording please", "rms"))
        declined = await call.listen(timeout_s=15)
        assert declined.duration_s > 1.0  # "Understood. This call will not be recorded."
        await call.say_pcm(speak("what exchange rate do you use", "rms"))
        answer = await call.listen(timeout_s=20)
        assert answer.duration_s > 2.0  # the call went on
        call_id = call.log.call_sid
    assert call_over(server, call_id, "recording discarded")
    assert call_over(server, call_id, "the caller declined recording")
    directory = server.data_dir / "recordings"
    assert not [p for p in directory.iterdir() if p.name.startswith(call_id)]


async def test_purge_removes_recordings_past_retention_and_audits_it(server, complaint) -> None:
    times, meta, _ = complaint
    directory = server.data_dir / "recordings"
    old = {**meta, "call_id": "CAold", "file": "CAold.flac.enc", "started_at": time.time() - 31 * 86400}
    shutil.copy(directory / meta["file"], directory / "CAold.flac.enc")
    (directory / "CAold.json").write_text(json.dumps(old))
    out = voicebot(server.data_dir, "recordings", "purge")
    assert "purged 1 recording" in out
    assert not (directory / "CAold.json").exists() and not (directory / "CAold.flac.enc").exists()
    assert (directory / meta["file"]).exists()  # within retention: kept
    async with api_session(server.base_url, "sam", PASSWORDS["sam"]) as api:
        entries = (await api.get("/api/audit"))["entries"]
        purge = next(e for e in entries if e["action"] == "recordings_purged" and e["what"]["count"] == 1)
        assert purge["what"]["call_ids"] == ["CAold"]


async def login(browser, server: ServerProcess, name: str):
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(server.base_url + "/console")
    await page.fill("#username", name)
    await page.fill("#password", PASSWORDS[name])
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#live.on")
    return page


async def test_a_supervisor_plays_it_in_chromium_with_the_transcript_an_agent_cannot(server, complaint) -> None:
    from playwright.async_api import async_playwright

    times, meta, _ = complaint
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/apt-test.txt)")
    player_url = f"{server.base_url}/console/recordings?call={times.call_id}"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"])
        agent = await login(browser, server, "alice")
        assert (await agent.goto(player_url)).status == 403
        for path in ("/api/recordings", f"/api/recordings/{times.call_id}/audio"):
            assert (await agent.request.get(server.base_url + path)).status == 403

        page = await login(browser, server, "sam")
        assert (await page.goto(player_url)).status == 200
        await page.wait_for_selector("#turns li")
        text = await page.inner_text("#turns")
        assert "complaint" in text.lower() and "[NUMBER]" in text
        assert "12345678" not in text and "1, 2, 3, 4, 5, 6, 7, 8" not in text
        assert await page.locator("#timeline .pause").count() == len(meta["paused"])

        async def audio(prop: str) -> float:
            return await page.evaluate(f"document.getElementById('audio').{prop}")

        duration = await until(lambda: audio("duration"), lambda d: d and d > 1, timeout=10)
        assert abs(duration - meta["duration_s"]) < 0.5  # Chromium decoded the FLAC
        target = page.locator("#turns li").nth(3)
        at = float(await target.get_attribute("data-at"))
        await target.click()
        now = await until(lambda: audio("currentTime"), lambda t: t > at + 0.3, timeout=5)
        assert at <= now < at + 5, (at, now)  # sought to the turn, and playing
        await browser.close()
    async with api_session(server.base_url, "sam", PASSWORDS["sam"]) as api:
        download = await api.http.get(f"/api/recordings/{times.call_id}/download")
        assert download.status == 200 and "attachment" in download.headers["Content-Disposition"]
        assert (await download.read())[:4] == b"fLaC"  # decrypted for the supervisor
        ranged = await api.http.get(f"/api/recordings/{times.call_id}/audio", headers={"Range": "bytes=4-9"})
        assert ranged.status == 206 and len(await ranged.read()) == 6
        entries = (await api.get("/api/audit"))["entries"]
        played = [e for e in entries if e["action"] == "recording_played"]
        assert played and played[0]["who"] == "sam" and played[0]["what"]["call_id"] == times.call_id
        assert len(played) <= 2  # a playback, not one line per range request the player makes
        downloaded = [e for e in entries if e["action"] == "recording_downloaded"]
        assert [e["what"]["call_id"] for e in downloaded] == [times.call_id]
