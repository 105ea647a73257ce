"""Designers learn from real calls, end to end: real calls over the Twilio protocol, real Rasa
models (a small training set, so that training takes seconds), the Review page in Chromium.

A caller says something the live model does not understand; the turn appears in Review with
its audio; a designer labels it; the YAML gains the example; a candidate is trained and tested
from the page, its difference from the live model shown, and promoted; the same sentence on a
new call is understood; rolling back restores the old behaviour. The README's screenshots come
from this test.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from bot.caller.dial import fetch_record
from bot.caller.twilio_client import TwilioCaller, rms
from bot.caller.voices import speak
from nlu.training import data_dirs
from nlu.validation import validate
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import start_e2e_server
from tests.escalation.helpers import api_session, until
from tests.small_project import small_project

CHROMIUM = "/usr/bin/chromium"
DOCS = PROJECT_ROOT / "docs"
SENTENCE = "my new card has not arrived yet"
PASSWORD = "dana-e2e-password"

pytestmark = pytest.mark.slow


def voicebot(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True, capture_output=True,
                          cwd=PROJECT_ROOT, env={**os.environ, **env}, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory):
    """A server on a small project with its own live model, recordings on, and a designer."""
    root = tmp_path_factory.mktemp("review")
    phrases = root / "phone_phrases.txt"
    shutil.copyfile(PROJECT_ROOT / "stt" / "phone_phrases.txt", phrases)
    env = {"VOICEBOT_NLU__PROJECT_DIR": str(small_project(root / "nlu")),
           "VOICEBOT_NLU__MODEL_DIR": str(root / "models" / "rasa"),
           "VOICEBOT_NLU__DATASETS_DIR": str(root / "no-datasets"),
           "VOICEBOT_REVIEW__CANDIDATES_DIR": str(root / "models" / "candidates"),
           "VOICEBOT_REVIEW__HISTORY_DIR": str(root / "models" / "history"),
           "VOICEBOT_REVIEW__PHRASE_LIST": str(phrases),
           "VOICEBOT_RECORDING__MODE": "all", "VOICEBOT_RECORDING__CONSENT_ANNOUNCEMENT": "",
           "VOICEBOT_PATHS__DATA_DIR": str(root / "server" / "var")}
    voicebot(env, "train", "--no-lm")
    (root / "server").mkdir()
    server = start_e2e_server(root / "server", env)
    voicebot(env, "agents", "add", "dana", "--role", "designer", "--name", "Dana Designer",
             "--password-stdin", stdin=PASSWORD + "\n")
    server.root, server.project = root, root / "nlu"
    yield server
    server.stop()


async def call_saying(server, sentence: str) -> dict:
    """One real call: the greeting, `sentence`, the answer, hang up; the call's record."""
    async with TwilioCaller(server.ws_url) as call:
        await call.listen(timeout_s=25)
        await call.say_pcm(speak(sentence, "rms"))
        reply = await call.listen(timeout_s=20)
        assert reply.duration_s > 0.5, "no answer"
        await call.hangup()
        call_id = call.log.call_sid
    record = await fetch_record(server.ws_url, server.token, call_id, timeout_s=15)
    assert record is not None
    return record


def said_turn(record: dict) -> dict:
    return next(t for t in record["turns"] if t["input_kind"] == "text")


async def test_a_misunderstood_call_is_taught_shipped_and_rolled_back(rig) -> None:
    from playwright.async_api import async_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/apt-test.txt)")
    first = await call_saying(rig, SENTENCE)
    turn = said_turn(first)
    assert turn["intent"] in ("nlu_fallback", "out_of_scope"), turn  # the small model lacks card_arrival
    heard, call_id = turn["user_text"], first["call"]["call_id"]
    key = f'{call_id}#{turn["idx"]}'

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        assert (await page.goto(rig.base_url + "/console/review")).status == 401  # the login form
        await page.fill("#username", "dana")
        await page.fill("#password", PASSWORD)
        await page.click("#login-form button[type=submit]")
        card = await page.wait_for_selector(f'.turn[data-key="{key}"]', timeout=20000)
        text = await card.inner_text()
        assert heard in text and "fell back" in text and turn["intent"] in text, text
        assert "1 caller said" in await page.inner_text(".group h2")
        # The caller's audio of that turn, cut from the call's recording.
        clip = await page.evaluate("""async (src) => { const r = await fetch(src);
            return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength]; }""",
                                   await card.eval_on_selector("audio", "a => a.getAttribute('src')"))
        assert clip[0] == 200 and clip[1] == "audio/wav" and clip[2] > 8000 * 2 * 0.8, clip
        await page.screenshot(path=str(DOCS / "review.png"), full_page=True)

        await (await card.query_selector("select.label-intent")).select_option("card_arrival")
        await (await card.query_selector("button[type=submit]")).click()
        await page.wait_for_selector(f'.turn[data-key="{key}"] .taught')
        reviewed = rig.project / "data" / "nlu" / "reviewed" / "card_arrival.yml"
        written = reviewed.read_text()
        assert f"call={call_id}" in written and "by=dana" in written and f"    - {heard}\n" in written
        examples = [b for b in yaml.safe_load(written)["nlu"] if b["intent"] == "card_arrival"]
        assert examples and heard in examples[0]["examples"]
        problems = await asyncio.to_thread(validate, rig.project, data_dirs(rig.project), with_rasa=False)
        assert [p for p in problems if p.severity == "error"] == []  # `voicebot validate`'s checks pass

        live_before = await page.inner_text("#live-model")
        await page.click("#train")
        await page.wait_for_selector("#promote:not([disabled])", timeout=150000)
        report = await page.inner_text("#report")
        assert "nlu_phone.yml" in report and "Stories:" in report, report
        await page.screenshot(path=str(DOCS / "review-candidate.png"), full_page=True)
        await page.click("#promote")
        models = await until(lambda: page.evaluate("window.review.models"),
                             lambda m: m["candidate"] is None and m["live"] != live_before, timeout=30)
        assert models["candidate"] is None and models["live"] != live_before and models["history"] == [live_before]

        second = said_turn(await call_saying(rig, SENTENCE))
        assert second["user_text"] == heard and second["intent"] == "card_arrival", second

        await page.click("#rollback")
        models = await until(lambda: page.evaluate("window.review.models"), lambda m: m["history"] == [], timeout=30)
        assert models["history"] == [] and models["live"] not in (live_before, None)
        assert errors == []
        await browser.close()

    third = said_turn(await call_saying(rig, SENTENCE))
    assert third["intent"] in ("nlu_fallback", "out_of_scope"), third
    log = [json.loads(line) for line in (rig.root / "models" / "history" / "promotions.jsonl").read_text().splitlines()]
    assert [(e["action"], e["who"]) for e in log] == [("promote", "dana"), ("rollback", "dana")]
    assert "nlu_phone.yml" in log[0]["changes"]
    async with api_session(rig.base_url, "dana", PASSWORD) as api:
        assert (await api.http.get("/api/audit")).status == 403  # designers do not read the audit trail
        clip = await (await api.http.get(f"/api/review/turns/{call_id}/{turn['idx']}/audio")).read()
        assert rms(clip[44:]) > 300, "the clip is not the caller speaking"  # after the WAV header
    await asyncio.to_thread(voicebot, rig.env, "agents", "add", "sam", "--role", "supervisor", "--password-stdin", stdin=PASSWORD + "\n")
    async with api_session(rig.base_url, "sam", PASSWORD) as api:
        assert (await api.http.get("/api/review/turns")).status == 403  # Review is the designers'
        audit = await api.get("/api/audit")
    changes = [(e["action"], e["who"]) for e in audit["entries"] if e["action"].startswith("model_")]
    assert changes == [("model_rollback", "dana"), ("model_promote", "dana"), ("model_train", "dana")]
