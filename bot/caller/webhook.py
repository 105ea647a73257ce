"""Answer a simulated call as Twilio would: POST the voice webhook, read the stream's TwiML.

The TwiML names the stream URL and its parameters, among them the one-call `token`; a
simulated caller presents exactly that, so it needs no server secret.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree

import aiohttp
from twilio.request_validator import RequestValidator


def http_base(ws_url: str) -> str:
    """http(s)://host:port from a stream URL such as ws://host:port/twilio/media."""
    base = ws_url.split("/twilio/media")[0]
    return base.replace("wss://", "https://", 1).replace("ws://", "http://", 1)


def on_host_of(ws_url: str, stream_url: str) -> str:
    """The TwiML's stream path (it may carry the call's id) on the host the caller was pointed at."""
    path = urlsplit(stream_url).path
    if not path.startswith("/twilio/media"):
        return ws_url
    return urlunsplit(urlsplit(ws_url)._replace(path=path))


def sign(auth_token: str, url: str, form: dict[str, str]) -> dict[str, str]:
    """The X-Twilio-Signature header for `url` and `form` (empty without an auth token)."""
    if not auth_token:
        return {}
    return {"X-Twilio-Signature": RequestValidator(auth_token).compute_signature(url, form)}


class WebhookRefused(ConnectionError):
    """The voice webhook did not hand out a stream (busy, bad signature, rate limited)."""


async def stream_parameters(ws_url: str, call_sid: str, caller: str, called: str = "+15550000000",
                            auth_token: str = "") -> dict[str, str]:
    """The `<Stream>` parameters (caller, called, token) the bot answers for this call."""
    return (await stream_answer(ws_url, call_sid, caller, called, auth_token))[1]


async def stream_answer(ws_url: str, call_sid: str, caller: str, called: str = "+15550000000",
                        auth_token: str = "") -> tuple[str, dict[str, str]]:
    """The `<Stream>` URL and its parameters (caller, called, call, token) for this call."""
    url = http_base(ws_url) + "/twilio/voice"
    form = {"CallSid": call_sid, "From": caller, "To": called, "AccountSid": "AC" + "0" * 32}
    async with aiohttp.ClientSession() as http, \
            http.post(url, data=form, headers=sign(auth_token, url, form)) as response:
        text = await response.text()
        if response.status != 200:
            raise WebhookRefused(f"POST {url}: HTTP {response.status} {text[:200]}")
    stream = ElementTree.fromstring(text).find("Connect/Stream")
    if stream is None:
        raise WebhookRefused(f"POST {url}: no <Stream> in the answer (line busy?)")
    return stream.get("url", ""), {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}


async def stream_token(ws_url: str, call_sid: str, caller: str = "+15550100123",
                       auth_token: str = "") -> str:
    """The one-call stream token the bot's TwiML carries for `call_sid`."""
    return (await stream_parameters(ws_url, call_sid, caller, auth_token=auth_token))["token"]
