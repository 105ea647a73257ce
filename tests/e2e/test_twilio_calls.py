"""Whole calls over the Twilio protocol against a real server: FAQs, barge-in, silence, keypad."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import aiohttp
import pytest

from bot.caller.dial import fetch_record
from bot.caller.twilio_client import TwilioCaller, rms
from bot.caller.voices import speak

pytestmark = pytest.mark.slow


def active_calls(server) -> int:
    with urllib.request.urlopen(server.base_url + "/readyz", timeout=5) as response:
        return json.load(response)["active_calls"]


async def record_of(server, call_id: str) -> dict:
    record = await fetch_record(server.ws_url, server.token, call_id, timeout_s=15)
    assert record is not None, f"no record for {call_id}"
    return record


async def test_caller_asks_three_faqs_and_says_goodbye(bot_server) -> None:
    questions = [
        ("my new card has not arrived yet", "card_arrival"),
        ("what exchange rate do you use", "exchange_rate"),
        ("how long does a transfer take", "transfer_timing"),
    ]
    async with TwilioCaller(bot_server.ws_url) as call:
        greeting = await call.listen(timeout_s=20)
        assert greeting.duration_s > 1.0 and rms(greeting.audio) > 300
        for question, _ in questions:
            await call.say_pcm(speak(question, "rms"))
            reply = await call.listen(timeout_s=20)
            assert reply.duration_s > 1.0, f"no answer to {question!r}"
            assert reply.latency_ms is not None and reply.latency_ms < 3000
        await call.say_pcm(speak("thank you goodbye", "rms"))
        await call.listen(timeout_s=20)
        assert await call.wait_closed(10), "the bot did not hang up after goodbye"
        call_id = call.log.call_sid
    record = await record_of(bot_server, call_id)
    intents = [t["intent"] for t in record["turns"] if t["input_kind"] == "text"]
    assert intents[:3] == [intent for _, intent in questions]
    assert record["call"]["outcome"] == "contained"
    assert record["call"]["end_reason"] == "goodbye"
    for turn in record["turns"]:
        if turn["input_kind"] == "text":
            latency = turn["latency"]
            assert latency["final_transcript"] <= latency["dialogue_reply"] <= latency["first_audio_sent"]


async def test_talking_over_the_bot_stops_it_and_clears(bot_server) -> None:
    async with TwilioCaller(bot_server.ws_url) as call:
        await call.listen(timeout_s=20)
        await call.say_pcm(speak("what exchange rate do you use", "rms"))
        assert await call.wait_bot_audio(20)
        await asyncio.sleep(0.6)  # the bot is mid-answer
        interrupt_at = time.monotonic()
        await call.say_pcm(speak("wait stop I have a different question", "rms"))
        reply = await call.listen(timeout_s=20)
        assert call.log.clears >= 1, "no clear was sent"
        clear_at = call.log.events[0]["at"]
        # The bot stopped sending the interrupted answer at once: at most one frame (already
        # in flight) arrived in the 300 ms after the clear.
        assert clear_at > interrupt_at
        after_clear = [t for t in call.log.media_times if clear_at < t < clear_at + 0.3]
        assert len(after_clear) <= 1, f"{len(after_clear)} frames after the clear"
        assert reply.duration_s > 0.5  # and it answered the new question
        call_id = call.log.call_sid
    record = await record_of(bot_server, call_id)
    assert record["call"]["outcome"] in ("contained", "abandoned")


async def test_a_backchannel_does_not_stop_the_bot(bot_server) -> None:
    async with TwilioCaller(bot_server.ws_url) as call:
        await call.listen(timeout_s=20)
        await call.say_pcm(speak("what exchange rate do you use", "rms"))
        assert await call.wait_bot_audio(20)
        await asyncio.sleep(0.5)
        await call.say_pcm(speak("yeah", "rms"))
        await call.listen(timeout_s=20)
        assert call.log.clears == 0


async def test_silent_caller_is_reprompted_then_hung_up_on(bot_server) -> None:
    async with TwilioCaller(bot_server.ws_url) as call:
        greeting = await call.listen(timeout_s=20)
        assert greeting.duration_s > 0
        reprompt = await call.listen(timeout_s=15)  # after the 4 s no-input timeout
        assert reprompt.duration_s > 0.5, "no 'are you still there?'"
        goodbye = await call.listen(timeout_s=15)
        assert goodbye.duration_s > 0.5, "no goodbye"
        assert await call.wait_closed(10)
        call_id = call.log.call_sid
    record = await record_of(bot_server, call_id)
    assert record["call"]["end_reason"] == "no_input"


async def test_keypad_zero_escalates(bot_server) -> None:
    async with TwilioCaller(bot_server.ws_url) as call:
        await call.listen(timeout_s=20)
        await call.press("0")
        reply = await call.listen(timeout_s=20, max_s=8)
        assert reply.duration_s > 0.5
        call_id = call.log.call_sid
    record = await record_of(bot_server, call_id)
    assert record["call"]["outcome"] == "escalated"
    handoffs = [t["handoff"] for t in record["turns"] if t["handoff"]]
    assert handoffs and handoffs[0]["reason"] == "request_human"


async def test_caller_hangs_up_mid_sentence_without_errors(bot_server) -> None:
    log_before = len(bot_server.log())
    async with TwilioCaller(bot_server.ws_url) as call:
        assert await call.wait_bot_audio(20)
        await asyncio.sleep(0.3)
        await call.hangup()  # in the middle of the greeting
    for _ in range(50):
        if active_calls(bot_server) == 0:
            break
        await asyncio.sleep(0.1)
    assert active_calls(bot_server) == 0
    new_log = bot_server.log()[log_before:]
    assert "Traceback" not in new_log
    assert " ERROR " not in new_log
    assert "call ended" in new_log


async def test_wrong_token_is_refused(bot_server) -> None:
    caller = TwilioCaller(bot_server.ws_url, "not-the-secret")
    async with caller as call:
        assert await call.wait_closed(10)
        assert call.log.close_code == 4401


async def test_metrics_show_turn_latency_and_outcomes(bot_server) -> None:
    async with TwilioCaller(bot_server.ws_url) as call:
        await call.listen(timeout_s=20)
        await call.say_pcm(speak("how long does a transfer take", "rms"))
        await call.listen(timeout_s=20)
    await asyncio.sleep(1.0)
    async with aiohttp.ClientSession() as http, http.get(bot_server.base_url + "/metrics") as response:
        text = await response.text()
    samples = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
               if line and not line.startswith("#")}
    assert samples["voicebot_response_seconds_count"] >= 1
    assert samples['voicebot_turn_stage_seconds_count{stage="first_audio_sent"}'] >= 1
    assert samples['voicebot_calls_started_total{channel="twilio"}'] >= 1
    assert any(k.startswith("voicebot_calls_ended_total{") for k in samples)


async def test_sigterm_lets_a_call_finish_then_ends_it_politely(start_server) -> None:
    import signal

    server = start_server({"VOICEBOT_SERVER__SHUTDOWN_TIMEOUT_S": "2"},
                          ready_path="/readyz", timeout_s=180)
    url = server.base_url.replace("http://", "ws://") + "/twilio/media"
    async with TwilioCaller(url) as call:
        await call.listen(timeout_s=20)  # the greeting
        server.proc.send_signal(signal.SIGTERM)
        goodbye = await call.listen(timeout_s=10)  # said when the 2 s grace period is over
        assert goodbye.duration_s > 1.0, "the caller was cut off without a goodbye"
        assert await call.wait_closed(10)
    assert server.proc.wait(30) == 0
    log = server.log()
    assert "ending 1 call(s) still active" in log
    assert "Traceback" not in log
