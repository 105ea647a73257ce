"""A whole call over Asterisk's AudioSocket protocol (TCP) against a real server."""

from __future__ import annotations

import asyncio
import struct

import pytest

from bot.caller.audiosocket_client import AudioSocketCaller
from bot.caller.dial import fetch_record
from bot.caller.twilio_client import rms
from bot.caller.voices import speak

pytestmark = pytest.mark.slow


async def test_audiosocket_call_is_answered_and_ended(bot_server) -> None:
    async with AudioSocketCaller("127.0.0.1", bot_server.audiosocket_port) as call:
        greeting = await call.listen(timeout_s=20)
        assert len(greeting) / 2 / 8000 > 1.0 and rms(greeting) > 300
        await call.say(speak("what exchange rate do you use", "rms"))
        answer = await call.listen(timeout_s=20)
        assert len(answer) / 2 / 8000 > 1.0
        await call.say(speak("thank you goodbye", "rms"))
        await call.listen(timeout_s=20)
        await asyncio.wait_for(call.hung_up_by_bot.wait(), 10)
    record = await fetch_record(bot_server.ws_url, bot_server.token, str(call.call_uuid))
    assert record is not None
    assert record["call"]["channel"] == "audiosocket"
    intents = [t["intent"] for t in record["turns"] if t["input_kind"] == "text"]
    assert intents[0] == "exchange_rate"
    assert record["call"]["end_reason"] == "goodbye"


async def test_audiosocket_without_uuid_is_closed(bot_server) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", bot_server.audiosocket_port)
    writer.write(struct.pack(">BH", 0x10, 320) + b"\x00" * 320)  # audio before the UUID
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
    writer.close()
    assert "first message must be the 16-byte call UUID" in bot_server.log()


async def test_audiosocket_transfer_per_queue_is_answered_to_the_dialplan(start_server) -> None:
    import aiohttp

    server = start_server({"VOICEBOT_ESCALATION__TRANSFER_TARGETS": "{normal: 'PJSIP/agents'}"},
                          ready_path="/readyz", timeout_s=180)
    async with AudioSocketCaller("127.0.0.1", server.audiosocket_port) as call:
        await call.listen(timeout_s=20)  # greeting
        await call.press("0")  # keypad 0: a person, normal priority
        connecting = await call.listen(timeout_s=20)
        assert len(connecting) / 2 / 8000 > 1.0  # "Please hold while I connect you..."
        await asyncio.wait_for(call.hung_up_by_bot.wait(), 15)
    url = f"{server.base_url}/asterisk/transfer/{call.call_uuid}"
    asterisk = server.make_token("asterisk", "transfers:read")
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as refused:
            assert refused.status == 401  # the dialplan must present the token
        async with http.get(url, params={"token": server.reader_token()}) as wrong_scope:
            assert wrong_scope.status == 403  # a calls:read token does not open transfers
        async with http.get(url, params={"token": asterisk}) as response:
            assert await response.text() == "PJSIP/agents"
        async with http.get(url, params={"token": asterisk}) as again:
            assert await again.text() == ""  # asked once, answered once
