"""Twilio Media Streams, bidirectional (`<Connect><Stream>`), at `/twilio/media`.

Inbound: connected, start, media (base64 mu-law 8 kHz), dtmf, mark, stop.
Outbound: media, mark, clear. A mark that comes back after a `clear` was not played.
`add_routes` registers the whole Twilio channel: this stream, and the voice webhooks that
connect a call to it and answer a transfer (`twilio_twiml`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import json
import logging
import uuid
from typing import Any

from aiohttp import WebSocketError, WSMsgType, web

from bot.channels.base import AudioIn, CallContext, ChannelClosed, DtmfIn, HangupIn, StartCall
from bot.channels.twilio_auth import signature_valid
from bot.channels.twilio_twiml import TWILIO_TRANSFERS, connect_action_webhook, voice_webhook
from bot.server import SETTINGS, STREAM_TOKENS
from stt.audio import AudioFrame, mulaw_to_pcm16

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
CLOSE_TIMEOUT_S = 2.0  # seconds to wait for the peer's close frame
START_TIMEOUT_S = 10.0


class ProtocolError(Exception):
    """The peer broke the Media Streams protocol; the connection is closed."""


def add_routes(app: web.Application, start_call: StartCall) -> None:
    """The Twilio channel: its voice webhooks, its media stream, and its transfer table
    (CallSid -> target, written by a stream that transfers, read by the connect action)."""
    app[TWILIO_TRANSFERS] = {}
    stream = functools.partial(handle_media_stream, start_call=start_call)
    app.router.add_get("/twilio/media", stream)
    # The same stream with the call's id in its path: a balancer in front of several bot
    # machines routes it to the machine that answered the call's webhook (docs/several-machines.md).
    app.router.add_get("/twilio/media/{call_sid}", stream)
    app.router.add_post("/twilio/voice", voice_webhook)
    app.router.add_post("/twilio/connect-action", connect_action_webhook)


class TwilioStream:
    """The outbound half of one Media Streams connection."""

    name = "twilio"
    output_format = "mulaw8k"
    input_rate = 8000

    def __init__(self, ws: web.WebSocketResponse, stream_sid: str, call_sid: str,
                 transfers: dict[str, str]) -> None:
        self.ws = ws
        self.stream_sid = stream_sid
        self.call_sid = call_sid
        self._transfers = transfers

    async def _send(self, message: dict[str, Any]) -> None:
        if self.ws.closed:
            raise ChannelClosed("twilio stream closed")
        await self.ws.send_str(json.dumps(message))

    async def send_audio(self, chunk: bytes) -> None:
        payload = base64.b64encode(chunk).decode("ascii")
        await self._send({"event": "media", "streamSid": self.stream_sid, "media": {"payload": payload}})

    async def clear(self) -> None:
        if not self.ws.closed:
            await self._send({"event": "clear", "streamSid": self.stream_sid})

    async def transfer(self, target: str) -> bool:
        # Ending the stream makes Twilio fetch the <Connect action> URL, which answers <Dial>.
        self._transfers[self.call_sid] = target
        await self.hangup()
        return True

    async def hangup(self) -> None:
        if not self.ws.closed:
            await self.ws.close()


def _parse(raw: str) -> dict[str, Any]:
    try:
        message = json.loads(raw)
    except ValueError as exc:
        raise ProtocolError(f"message is not JSON ({exc.msg})") from None
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        raise ProtocolError("message has no 'event' field")
    return message


def _field(message: dict[str, Any], *path: str) -> Any:
    value: Any = message
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise ProtocolError(f"{message['event']} message lacks {'.'.join(path)}")
        value = value[key]
    if path[-1] in ("media", "start") and not isinstance(value, dict):
        raise ProtocolError(f"{message['event']} message has a malformed {path[-1]!r} object")
    return value


def decode_media(message: dict[str, Any]) -> bytes:
    payload = _field(message, "media", "payload")
    try:
        audio = base64.b64decode(payload, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ProtocolError("media payload is not valid base64") from None
    if len(audio) > 8000:  # one second of 8 kHz mu-law; Twilio sends 20 ms (160 bytes)
        raise ProtocolError(f"media payload of {len(audio)} bytes is too large")
    return audio


async def _read_start(ws: web.WebSocketResponse) -> dict[str, Any]:
    """Read up to the `start` message (after `connected`)."""
    while True:
        msg = await ws.receive(timeout=START_TIMEOUT_S)
        if msg.type != WSMsgType.TEXT:
            raise ProtocolError("stream closed or sent binary data before 'start'")
        message = _parse(msg.data)
        if message["event"] == "connected":
            continue
        if message["event"] != "start":
            raise ProtocolError(f"expected 'start', got {message['event']!r}")
        if not isinstance(_field(message, "start").get("customParameters") or {}, dict):
            raise ProtocolError("start message has malformed customParameters")
        return message


def bound_call_id(start: dict[str, Any]) -> str:
    """The call the stream claims: the `call` parameter our TwiML set (Twilio's CallSid from
    the webhook), else the start message's callSid (Twilio sends the same)."""
    params = start.get("start", {}).get("customParameters") or {}
    return str(params.get("call") or start.get("start", {}).get("callSid") or "")


def stream_token_problem(request: web.Request, start: dict[str, Any]) -> str:
    """"" when the start message carries a valid, unused token for its call; else why not."""
    params = start.get("start", {}).get("customParameters") or {}
    offered, call_id = str(params.get("token") or ""), bound_call_id(start)
    if not offered or not call_id:
        return "no token or no call id"
    return request.app[STREAM_TOKENS].check(offered, call_id)


async def handle_media_stream(request: web.Request, start_call: StartCall) -> web.WebSocketResponse:
    """Accept one Media Streams connection and run the call over it.

    `start_call(context, channel, inbound_put)` runs the call session and returns when it ends.
    """
    settings = request.app[SETTINGS]
    auth_token = settings.calls.twilio_auth_token
    if auth_token and not signature_valid(request, auth_token):
        log.warning("twilio stream refused from %s: bad X-Twilio-Signature", request.remote)
        raise web.HTTPForbidden(text="bad signature")
    # A close handshake the peer never answers must not hold a call open for long.
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_MESSAGE_BYTES, timeout=CLOSE_TIMEOUT_S)
    await ws.prepare(request)
    try:
        start = await _read_start(ws)
        problem = stream_token_problem(request, start)
        if problem:
            log.warning("twilio stream refused from %s: %s", request.remote, problem)
            await ws.close(code=4401, message=b"unauthorized")
            return ws
        stream_sid = str(_field(start, "start", "streamSid"))
        call_sid = bound_call_id(start)
        params = {k: str(v) for k, v in (start["start"].get("customParameters") or {}).items()
                  if k not in ("token", "call")}
    except (ProtocolError, asyncio.TimeoutError) as exc:  # not the builtin TimeoutError on 3.10
        log.warning("twilio stream from %s closed: %s", request.remote, exc or "no 'start' in time")
        await ws.close(code=1008, message=b"protocol error")
        return ws
    channel = TwilioStream(ws, stream_sid, call_sid, request.app[TWILIO_TRANSFERS])
    context = CallContext(call_id=call_sid or str(uuid.uuid4()), channel="twilio",
                          caller=params.get("caller", params.get("from", "")), params=params)
    await start_call(context, channel, lambda put: _pump(ws, channel, put))
    return ws


async def _pump(ws: web.WebSocketResponse, channel: TwilioStream, put) -> None:
    """Turn inbound messages into call events until stop, close or a protocol error."""
    reason = "caller_hangup"
    try:
        async for msg in ws:
            if msg.type == WSMsgType.ERROR:
                if isinstance(ws.exception(), WebSocketError):  # e.g. a frame over the size limit
                    raise ProtocolError(f"bad WebSocket frame: {ws.exception()}")
                log.info("twilio stream %s lost: %r", channel.stream_sid, ws.exception())
                break  # the connection broke: an ordinary (if abrupt) hangup
            if msg.type != WSMsgType.TEXT:
                raise ProtocolError(f"unexpected {msg.type.name} frame")
            message = _parse(msg.data)
            event = message["event"]
            if event == "media":
                track = _field(message, "media").get("track", "inbound")
                audio = decode_media(message)
                if audio and track in ("inbound", "inbound_track"):  # an empty payload carries nothing
                    await put(AudioIn(AudioFrame(mulaw_to_pcm16(audio), 8000)))
            elif event == "dtmf":
                digit = str(_field(message, "dtmf", "digit"))
                await put(DtmfIn(digit))
            elif event == "mark":
                _field(message, "mark", "name")  # we send no marks; an echo is only checked
            elif event == "stop":
                break
            elif event in ("connected", "start"):
                raise ProtocolError(f"{event!r} after the stream started")
            else:
                log.info("twilio: ignoring unknown event %r", event)
    except ProtocolError as exc:
        log.warning("twilio stream %s closed: %s", channel.stream_sid, exc)
        reason = "protocol_error"
    finally:
        await put(HangupIn(reason))  # first: the call ends now, whatever the close handshake does
    if reason == "protocol_error":
        await ws.close(code=1008, message=b"protocol error")

