"""Real failures during real calls: the caller hears an apology and is escalated, and the
failure is logged with the call id. Each test starts its own `voicebot serve`.
"""

from __future__ import annotations

import re

import pytest

from bot.caller.dial import fetch_record
from bot.caller.twilio_client import TwilioCaller
from bot.caller.voices import speak
from tests.e2e.conftest import E2E_ENV

pytestmark = pytest.mark.slow


def _problem_lines(log_text: str, call_id: str) -> list[str]:
    level = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) ")
    return [line for line in log_text.splitlines() if level.match(line) and call_id in line]


async def test_no_dialogue_model_means_apology_and_a_human(start_server, tmp_path) -> None:
    empty = tmp_path / "no-model"
    empty.mkdir()
    server = start_server({**E2E_ENV, "VOICEBOT_NLU__MODEL_DIR": str(empty)})
    ws_url = server.base_url.replace("http://", "ws://") + "/twilio/media"
    token = E2E_ENV["VOICEBOT_CALLS__STREAM_SECRET"]
    async with TwilioCaller(ws_url, token) as call:
        heard = await call.listen(timeout_s=30, quiet_s=1.5)
        assert heard.duration_s > 2.0, "the caller heard no apology"
        call_id = call.log.call_sid
    record = await fetch_record(ws_url, token, call_id, timeout_s=15)
    assert record is not None
    said = " ".join(t.get("bot_text") or "" for t in record["turns"]).lower()
    assert "sorry" in said, record["turns"]
    assert record["call"]["outcome"] == "escalated", record["call"]
    # Logged once, at start-up (the per-call turn is not logged again: see the report).
    assert server.log().count("dialogue unavailable") == 1


async def test_dialogue_timeout_means_apology_and_a_human(start_server) -> None:
    server = start_server({**E2E_ENV, "VOICEBOT_NLU__TURN_TIMEOUT_S": "0.001"}, ready_path="/readyz",
                          timeout_s=180)
    ws_url = server.base_url.replace("http://", "ws://") + "/twilio/media"
    token = E2E_ENV["VOICEBOT_CALLS__STREAM_SECRET"]
    async with TwilioCaller(ws_url, token) as call:
        await call.listen(timeout_s=30)
        await call.say_pcm(speak("what exchange rate do you use", "rms"))
        heard = await call.listen(timeout_s=30, quiet_s=1.5)
        assert heard.duration_s > 2.0, "the caller heard no apology"
        call_id = call.log.call_sid
    record = await fetch_record(ws_url, token, call_id, timeout_s=15)
    assert record is not None
    said = " ".join(t.get("bot_text") or "" for t in record["turns"]).lower()
    assert "sorry" in said, record["turns"]
    assert record["call"]["outcome"] == "escalated", record["call"]
    timeouts = [line for line in _problem_lines(server.log(), call_id) if "time" in line.lower()]
    assert len(timeouts) == 1, timeouts
