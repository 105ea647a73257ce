"""Asterisk AudioSocket over TCP: one type byte, a 2-byte big-endian length, the payload.

Types: 0x00 hangup, 0x01 UUID (16 bytes, first), 0x03 DTMF (one ASCII digit),
0x10 audio (signed linear 16-bit, 8 kHz, mono), 0xff error. AudioSocket has no
authentication of its own, so only peers in `calls.audiosocket_allow` are accepted.
`add_routes` registers the channel: its TCP listener, and the dialplan's transfer look-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import struct
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from bot.channels.base import (
    AudioIn,
    CallContext,
    ChannelClosed,
    DtmfIn,
    HangupIn,
    InboundEvent,
    StartCall,
)
from bot.security.machine_auth import authorize, peer_in
from bot.server import SETTINGS
from stt.audio import AudioFrame

log = logging.getLogger(__name__)

KIND_HANGUP, KIND_UUID, KIND_DTMF, KIND_AUDIO, KIND_ERROR = 0x00, 0x01, 0x03, 0x10, 0xFF
MAX_AUDIO_BYTES = 8000  # half a second; Asterisk sends 20 ms (320 bytes)
READ_TIMEOUT_S = 30.0  # Asterisk streams audio continuously; 30 s of nothing is a dead peer
ASTERISK_TRANSFERS = web.AppKey("asterisk_transfers", dict)  # call UUID -> where to Dial


class ProtocolError(Exception):
    """The peer broke the AudioSocket protocol."""


def encode(kind: int, payload: bytes = b"") -> bytes:
    return struct.pack(">BH", kind, len(payload)) + payload


async def read_message(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    header = await asyncio.wait_for(reader.readexactly(3), READ_TIMEOUT_S)
    kind, length = struct.unpack(">BH", header)
    if kind == KIND_AUDIO and length > MAX_AUDIO_BYTES:
        raise ProtocolError(f"audio message of {length} bytes is too large")
    payload = await asyncio.wait_for(reader.readexactly(length), READ_TIMEOUT_S) if length else b""
    return kind, payload


class AudioSocketCall:
    """The outbound half of one AudioSocket connection."""

    name = "audiosocket"
    output_format = "pcm8k"
    input_rate = 8000

    def __init__(self, writer: asyncio.StreamWriter, call_uuid: str, transfers: dict[str, str]) -> None:
        self.writer = writer
        self.call_uuid = call_uuid
        self._transfers = transfers
        self.closed = False

    async def send_audio(self, chunk: bytes) -> None:
        if self.closed or self.writer.is_closing():
            raise ChannelClosed("audiosocket closed")
        self.writer.write(encode(KIND_AUDIO, chunk))
        await self.writer.drain()

    async def clear(self) -> None:
        # Asterisk plays what it receives as it arrives; we pace in real time, so stopping
        # sending is all a clear needs.
        return None

    async def transfer(self, target: str) -> bool:
        # The dialplan continues after AudioSocket() and asks /asterisk/transfer/<uuid>.
        self._transfers[self.call_uuid] = target
        await self.hangup()
        return True

    async def hangup(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(ConnectionError, RuntimeError):
            self.writer.write(encode(KIND_HANGUP))
            await self.writer.drain()
        self.writer.close()


def peer_allowed(peer: str, allow: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in allow)


def add_routes(app: web.Application, start_call: StartCall) -> None:
    """The AudioSocket channel: its TCP listener on `calls.audiosocket_port` (none when 0)
    while the application runs, the dialplan's transfer look-up, and its transfer table."""
    app[ASTERISK_TRANSFERS] = {}
    app.router.add_get("/asterisk/transfer/{uuid}", asterisk_transfer)

    async def listener(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        port = settings.calls.audiosocket_port
        if not port:
            yield
            return
        server = await asyncio.start_server(
            functools.partial(handle_connection, start_call=start_call,
                              allow=settings.calls.audiosocket_allow,
                              transfers=app[ASTERISK_TRANSFERS]),
            settings.server.host, port,
        )
        log.info("audiosocket listening on %s:%d", settings.server.host, port)
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()

    app.cleanup_ctx.append(listener)


async def asterisk_transfer(request: web.Request) -> web.Response:
    """The dialplan asks, after AudioSocket() returns, where to Dial (empty: hang up).

    Only from the PBX (loopback or `calls.audiosocket_allow`), with its own API token
    (scope transfers:read, in `?token=` since the dialplan's CURL() sends no headers)."""
    if not peer_in(request, request.app[SETTINGS].calls.audiosocket_allow):
        log.warning("asterisk transfer look-up refused from %s: not in calls.audiosocket_allow",
                    request.remote)
        raise web.HTTPForbidden(text="not an allowed PBX address")
    refused = await authorize(request, "transfers:read", roles=(), allow_query=True)
    if refused is not None:
        return refused
    return web.Response(text=request.app[ASTERISK_TRANSFERS].pop(request.match_info["uuid"], ""))


async def handle_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            start_call: StartCall, allow: list[str],
                            transfers: dict[str, str]) -> None:
    """Serve one AudioSocket connection: the UUID first, then audio, DTMF and hangup."""
    peer = (writer.get_extra_info("peername") or ("?",))[0]
    try:
        if not peer_allowed(peer, allow):
            log.warning("audiosocket connection from %s refused: not in calls.audiosocket_allow", peer)
            return
        kind, payload = await read_message(reader)
        if kind != KIND_UUID or len(payload) != 16:
            raise ProtocolError("first message must be the 16-byte call UUID")
        call_uuid = str(uuid.UUID(bytes=payload))
    except (ProtocolError, asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError) as exc:
        log.warning("audiosocket connection from %s closed: %s", peer, exc or "no UUID in time")
        writer.close()
        return
    channel = AudioSocketCall(writer, call_uuid, transfers)
    context = CallContext(call_id=call_uuid, channel="audiosocket", caller="", params={"peer": peer})
    await start_call(context, channel, lambda put: _pump(reader, channel, put))
    await channel.hangup()


async def _pump(reader: asyncio.StreamReader, channel: AudioSocketCall,
                put: Callable[[InboundEvent], Awaitable[None]]) -> None:
    reason = "caller_hangup"
    try:
        while True:
            kind, payload = await read_message(reader)
            if kind == KIND_AUDIO:
                if len(payload) % 2:
                    raise ProtocolError(f"audio message of odd length {len(payload)}")
                if payload:
                    await put(AudioIn(AudioFrame(payload, 8000)))
            elif kind == KIND_DTMF and payload:
                await put(DtmfIn(payload[:1].decode("ascii", "replace")))
            elif kind == KIND_HANGUP:
                break
            elif kind == KIND_ERROR:
                log.warning("audiosocket peer reported an error (code %s)", payload.hex() or "none")
                reason = "peer_error"
                break
            elif kind == KIND_UUID:
                raise ProtocolError("a second UUID message")
            else:
                log.info("audiosocket: ignoring message type 0x%02x", kind)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the peer went away: an ordinary hangup
    except (ProtocolError, asyncio.TimeoutError) as exc:
        log.warning("audiosocket call %s closed: %s", channel.call_uuid, exc or "peer stalled")
        reason = "protocol_error"
        await channel.hangup()  # cut a misbehaving peer off now, not after the call's bookkeeping
    finally:
        await put(HangupIn(reason))
