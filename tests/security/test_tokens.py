"""Credentials, each for its own job: Twilio signatures, one-call stream tokens, API tokens."""

from __future__ import annotations

import json
import time
import uuid

import aiohttp
from twilio.request_validator import RequestValidator

from bot.caller.twilio_client import TwilioCaller
from bot.caller.webhook import sign, stream_parameters
from bot.security.stream_tokens import StreamTokens
from bot.server import STREAM_TOKENS

from .conftest import TWILIO_AUTH_TOKEN


async def test_twilio_signed_webhook_is_accepted_and_an_altered_one_refused(bot) -> None:
    url = bot.url + "/twilio/voice"
    form = {"CallSid": "CA" + "1" * 32, "From": "+15550001111", "To": "+15550002222"}
    signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(url, form)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        ok = await http.post(url, data=form, headers={"X-Twilio-Signature": signature})
        assert ok.status == 200 and "<Stream" in await ok.text()
        altered = await http.post(url, data={**form, "To": "+15559999999"},
                                  headers={"X-Twilio-Signature": signature})
        assert altered.status == 403
        unsigned = await http.post(url, data=form)
        assert unsigned.status == 403 and "<Stream" not in await unsigned.text()


async def _refused(bot, token: str | None, call_sid: str) -> int | None:
    """The close code the stream gets for `token` presented as call `call_sid`."""
    ws_url = bot.url.replace("http", "ws") + "/twilio/media"
    caller = TwilioCaller(ws_url, token, call_sid=call_sid, auth_token=TWILIO_AUTH_TOKEN)
    async with caller as call:
        await call.wait_closed(5)
        return call.log.close_code


async def test_stream_tokens_for_another_call_expired_or_replayed_are_refused(bot) -> None:
    ws_url = bot.url.replace("http", "ws") + "/twilio/media"
    sid_a, sid_b = "CA" + uuid.uuid4().hex, "CA" + uuid.uuid4().hex
    params = await stream_parameters(ws_url, sid_a, "+15550001111", auth_token=TWILIO_AUTH_TOKEN)
    assert params["call"] == sid_a
    assert await _refused(bot, params["token"], sid_b) == 4401  # another call's token
    tokens: StreamTokens = bot.app[STREAM_TOKENS]
    expired = tokens.mint(sid_a, now=time.time() - 120)
    assert await _refused(bot, expired, sid_a) == 4401
    assert tokens.check(params["token"], sid_a) == ""  # spent once here...
    assert await _refused(bot, params["token"], sid_a) == 4401  # ...so the stream is refused
    assert "token already used" in tokens.check(params["token"], sid_a)
    forged = StreamTokens(b"another server's key").mint(sid_a)
    assert await _refused(bot, forged, sid_a) == 4401


async def test_a_browser_token_opens_one_call_once(bot) -> None:
    tokens: StreamTokens = bot.app[STREAM_TOKENS]
    call_id = f"web-{uuid.uuid4()}"
    token = f"{call_id}:{tokens.mint(call_id)}"
    other = f"web-{uuid.uuid4()}:{token.split(':', 1)[1]}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for bad in ("", "web-x:v1.1.a.b", other):
            try:
                async with http.ws_connect(bot.url + "/browser/ws", params={"token": bad}):
                    raise AssertionError(f"accepted {bad!r}")
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status == 401


async def test_calls_need_a_reader_session_or_a_live_api_token(bot) -> None:
    await bot.records.call_started("CAone", "twilio", "+15550001111")
    await bot.records.call_ended("CAone", "contained", "caller_hangup")
    url = bot.url + "/calls/CAone"
    services = bot.services
    token, _ = await services.api_tokens.add("ci", ["calls:read"], days=1)
    wrong_scope, _ = await services.api_tokens.add("pbx", ["transfers:read"], days=1)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        assert (await http.get(url)).status == 401
        ok = await http.get(url, headers={"Authorization": f"Bearer {token}"})
        assert ok.status == 200 and (await ok.json())["call"]["call_id"] == "CAone"
        assert (await http.get(url, headers={"Authorization": f"Bearer {wrong_scope}"})).status == 403
        assert (await http.get(url, headers={"Authorization": "Bearer vbt_forged"})).status == 401
        assert (await http.get(url, params={"token": token})).status == 401  # headers only here
        assert await services.api_tokens.revoke("ci") == 1
        assert (await http.get(url, headers={"Authorization": f"Bearer {token}"})).status == 401
        # An expired token: the record says so.
        old, record = await services.api_tokens.add("old", ["calls:read"], days=1)
        record["expires_at"] = time.time() - 1
        await services.store.put_record("api_token", record["id"], record)
        assert (await http.get(url, headers={"Authorization": f"Bearer {old}"})).status == 401
    for user, status in (("alan", 403), ("dee", 200), ("sam", 200)):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await bot.login(http, user)
            assert (await http.get(url)).status == status, user
    stored = json.dumps(await services.api_tokens.list())
    assert token not in stored and old not in stored  # only hashes are kept


async def test_asterisk_transfer_needs_an_allowed_peer_and_its_own_token(bot) -> None:
    from bot.channels.audiosocket import ASTERISK_TRANSFERS

    bot.app[ASTERISK_TRANSFERS]["u1"] = "PJSIP/agents"
    pbx, _ = await bot.services.api_tokens.add("pbx", ["transfers:read"], days=1)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        outside = await http.get(bot.outside_url() + "/asterisk/transfer/u1", params={"token": pbx})
        assert outside.status == 403  # not loopback, not in calls.audiosocket_allow
        assert (await http.get(bot.url + "/asterisk/transfer/u1")).status == 401
        ok = await http.get(bot.url + "/asterisk/transfer/u1", params={"token": pbx})
        assert await ok.text() == "PJSIP/agents"


def test_sign_matches_twilios_validator() -> None:
    url, form = "https://bot.example.com/twilio/voice", {"CallSid": "CA1"}
    header = sign(TWILIO_AUTH_TOKEN, url, form)["X-Twilio-Signature"]
    assert RequestValidator(TWILIO_AUTH_TOKEN).validate(url, form, header)
