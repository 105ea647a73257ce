"""Twilio voice webhooks over a real socket: the TwiML, transfers, and signature checks."""

from __future__ import annotations

import types
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from bot.call.prompts import LINES_BUSY
from bot.call.services import SERVICES
from bot.channels import twilio
from bot.channels.twilio_twiml import TWILIO_TRANSFERS, dial_twiml
from bot.config import load_settings
from bot.server import STREAM_TOKENS, create_app


async def no_call(*args: object) -> None:
    raise AssertionError("these tests open no media stream")


def make_app(refusal: tuple[str, str] | None = None, **env: str):
    settings = load_settings(environ={f"VOICEBOT_{k.upper()}": v for k, v in env.items()})
    app = create_app(settings)
    twilio.add_routes(app, no_call)
    # The call services' admission decision, and nothing else of them: no speech stack here.
    app[SERVICES] = types.SimpleNamespace(refusal=lambda in_progress: refusal)
    return app


async def test_voice_webhook_connects_the_call_to_our_stream(aiohttp_client) -> None:
    app = make_app(calls__stream_secret="a-long-server-key-for-this-test")
    client = await aiohttp_client(app)
    response = await client.post("/twilio/voice", data={"CallSid": "CA1", "From": "+4420", "To": "+4421"})
    assert response.status == 200
    assert response.content_type == "application/xml"
    root = ElementTree.fromstring(await response.text())
    connect = root.find("Connect")
    assert connect is not None and connect.get("action", "").endswith("/twilio/connect-action")
    stream = connect.find("Stream")
    assert stream is not None and stream.get("url", "").startswith("ws://")
    assert stream.get("url", "").endswith("/twilio/media/CA1")  # the call's id: a balancer sticks on it
    params = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    token = params.pop("token")
    assert params == {"caller": "+4420", "called": "+4421", "call": "CA1"}
    # The token opens this call's stream, once, and no other call's.
    assert app[STREAM_TOKENS].check(token, "CA2") == "token not valid for this call"
    assert app[STREAM_TOKENS].check(token, "CA1") == ""
    assert app[STREAM_TOKENS].check(token, "CA1") == "token already used"
    assert "a-long-server-key" not in await response.text()


async def test_a_caller_the_bot_cannot_take_hears_why_and_no_stream_opens(aiohttp_client) -> None:
    client = await aiohttp_client(make_app(refusal=("busy", "20 calls in progress")))
    response = await client.post("/twilio/voice", data={"CallSid": "CA1", "From": "+4420"})
    assert response.status == 200
    root = ElementTree.fromstring(await response.text())
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root.findtext("Say") == LINES_BUSY


async def test_public_url_is_used_when_configured(aiohttp_client) -> None:
    client = await aiohttp_client(make_app(server__public_url="https://bot.example.com"))
    text = await (await client.post("/twilio/voice", data={})).text()
    assert 'url="wss://bot.example.com/twilio/media"' in text
    assert 'action="https://bot.example.com/twilio/connect-action"' in text


async def test_connect_action_dials_a_pending_transfer_once(aiohttp_client) -> None:
    app = make_app()
    client = await aiohttp_client(app)
    app[TWILIO_TRANSFERS]["CA42"] = "+15550001111"
    first = await (await client.post("/twilio/connect-action", data={"CallSid": "CA42"})).text()
    assert "<Dial><Number>+15550001111</Number></Dial>" in first
    again = await (await client.post("/twilio/connect-action", data={"CallSid": "CA42"})).text()
    assert "<Hangup/>" in again


def test_sip_transfer_carries_the_call_id() -> None:
    assert dial_twiml("sip:agents@pbx.example.com", "CA9") == (
        "<Dial><Sip>sip:agents@pbx.example.com?X-Voicebot-Call-Id=CA9</Sip></Dial>"
    )


async def test_signed_webhooks_need_a_valid_signature(aiohttp_client) -> None:
    token = "twilio-auth-token"
    client = await aiohttp_client(make_app(calls__twilio_auth_token=token))
    form = {"CallSid": "CA1", "From": "+4420"}
    unsigned = await client.post("/twilio/voice", data=form)
    assert unsigned.status == 403
    url = str(client.make_url("/twilio/voice"))
    forged = await client.post("/twilio/voice", data=form,
                               headers={"X-Twilio-Signature": "AAAA"})
    assert forged.status == 403
    signature = RequestValidator(token).compute_signature(url, form)
    signed = await client.post("/twilio/voice", data=form, headers={"X-Twilio-Signature": signature})
    assert signed.status == 200
    altered = await client.post("/twilio/voice", data={**form, "From": "+4499"},
                                headers={"X-Twilio-Signature": signature})
    assert altered.status == 403
