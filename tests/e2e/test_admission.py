"""A full server turns extra callers away politely: they hear "all our lines are busy"
(the pre-rendered line, not silence and not a slow bot), the calls in progress go on, and
the TwiML webhook answers a busy line too. A real server with `max_concurrent_calls: 1`.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
import urllib.request
import uuid

import pytest

from bot.caller.twilio_client import TwilioCaller
from bot.caller.voices import speak
from bot.caller.webhook import stream_token
from bot.config import load_settings
from bot.security.keys import load_server_keys
from bot.security.stream_tokens import StreamTokens
from tests.e2e.conftest import E2E_ENV

pytestmark = pytest.mark.slow


def _refused(metrics: str) -> float:
    match = re.search(r'voicebot_calls_refused_total\{channel="twilio",reason="busy"\} (\S+)', metrics)
    return float(match.group(1)) if match else 0.0


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _post_voice(base_url: str) -> str:
    body = urllib.parse.urlencode({"CallSid": "CAbusy", "From": "+15550100111", "To": "+15550100000"})
    with urllib.request.urlopen(base_url + "/twilio/voice", body.encode(), timeout=10) as response:
        return response.read().decode()


async def _until_no_calls(base_url: str) -> None:
    for _ in range(100):
        if json.loads(_get(base_url + "/readyz"))["active_calls"] == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the first call never ended on the server")


async def test_a_caller_beyond_the_limit_hears_the_busy_line_and_others_go_on(start_server) -> None:
    server = start_server({**E2E_ENV, "VOICEBOT_CALLS__MAX_CONCURRENT_CALLS": "1",
                           "VOICEBOT_STT__NO_INPUT_TIMEOUT_S": "30"}, ready_path="/readyz",
                          timeout_s=180)
    ws_url = server.base_url.replace("http://", "ws://") + "/twilio/media"
    assert "<Connect" in _post_voice(server.base_url)  # room for a call

    # The second caller's stream token, got while the line is free (the webhook then answers
    # a full line with <Say> and no stream): its stream must be turned away by the stream itself.
    second_sid = "CA" + uuid.uuid4().hex
    second_token = await stream_token(ws_url, second_sid, "+15550100222")
    async with TwilioCaller(ws_url) as first:
        greeting = await first.listen(timeout_s=30)
        assert greeting.duration_s > 1.0
        assert "lines are busy" in _post_voice(server.base_url)

        async with TwilioCaller(ws_url, second_token, caller="+15550100222", call_sid=second_sid) as second:
            heard = await second.listen(timeout_s=20, quiet_s=1.5)
            assert await second.wait_closed(10), "the refused caller was not hung up on"
        assert heard.duration_s > 1.0, "the refused caller heard silence"
        assert second.log.closed_by_bot
        assert _refused(_get(server.base_url + "/metrics")) == 1.0

        # The call in progress was not disturbed.
        await first.say_pcm(speak("what exchange rate do you use", "rms"))
        reply = await first.listen(timeout_s=20)
        assert reply.duration_s > 1.0 and not first.log.closed_by_bot

    await _until_no_calls(server.base_url)
    async with TwilioCaller(ws_url) as third:  # the line is free again
        greeting = await third.listen(timeout_s=30)
        # The greeting and the busy line are about as long (5.5 s against 5.4 s once), so what
        # tells them apart is that a refused caller is hung up on straight after it. (Lengths
        # measured on the line differ from a fresh synthesis by up to 0.5 s: no length checks.)
        assert greeting.duration_s > 1.0
        assert not await third.wait_closed(3), "the line was free, yet the caller was hung up on"
        assert not third.log.closed_by_bot
    assert _refused(_get(server.base_url + "/metrics")) == 1.0
    log_text = server.log()
    assert log_text.count("call refused: 1 calls in progress") == 1
    assert log_text.count("turning callers away: 1 calls in progress") == 1


async def test_an_overloaded_server_turns_new_callers_away(start_server) -> None:
    # A loop-lag limit no event loop meets: the server counts itself overloaded at once, so
    # the webhook and the stream both refuse, with the reason in the log and the metrics.
    server = start_server({**E2E_ENV, "VOICEBOT_CALLS__ADMISSION": "headroom",
                           "VOICEBOT_CALLS__ADMIT_MAX_LOOP_LAG_MS": "0.001"},
                          ready_path="/readyz", timeout_s=180)
    ws_url = server.base_url.replace("http://", "ws://") + "/twilio/media"
    sid = "CA" + uuid.uuid4().hex
    await asyncio.sleep(1.0)  # a second of loop-lag readings
    assert "lines are busy" in _post_voice(server.base_url)
    # The webhook hands out no stream now; a token made with the server's key, as one handed
    # out just before the overload began, reaches the stream's own admission check.
    keys = load_server_keys(load_settings(environ=server.env))
    token = StreamTokens(keys.stream_key).mint(sid)
    async with TwilioCaller(ws_url, token, caller="+15550100333", call_sid=sid) as caller:
        heard = await caller.listen(timeout_s=20, quiet_s=1.5)
        assert await caller.wait_closed(10)
    assert heard.duration_s > 1.0, "the refused caller heard silence"
    metrics = _get(server.base_url + "/metrics")
    assert re.search(r'voicebot_calls_refused_total\{channel="twilio",reason="overloaded"\} 1\.0', metrics)
    assert "event loop lag p95" in server.log()
