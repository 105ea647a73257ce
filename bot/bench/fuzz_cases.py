"""Generated hostile peers for the Twilio and AudioSocket channels (hypothesis strategies).

Each generated message carries its expected class: "ok" (valid, or an unknown event the
server ignores), "bad" (a protocol violation: the server must close the connection) or
"end" (stop/hangup: the server ends the call). `run_*_case` plays one case over a real
socket and returns what the server did.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import struct
import uuid
from dataclasses import dataclass

import aiohttp
from hypothesis import strategies as st

from bot.channels.twilio import START_TIMEOUT_S

# A peer that never sends 'start' is closed after the channel's START_TIMEOUT_S, so wait longer
# than that before calling a connection hung (equal waits raced each other).
CLOSE_WAIT_S = START_TIMEOUT_S + 5.0
KNOWN_EVENTS = {"connected", "start", "media", "dtmf", "mark", "stop"}

json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)
not_dict = json_scalar | st.lists(json_scalar, max_size=3)


def _t(obj: object) -> str:
    return json.dumps(obj)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class Case:
    messages: list[tuple[str, object, str]]  # (kind, data, class)
    ending: str  # "close" (graceful), "abort" (drop the TCP connection)
    started: bool  # a valid start/UUID opened a call first
    ident: str = ""

    def expect_close(self) -> bool:
        return any(cls in ("bad", "end") for _, _, cls in self.messages)


@dataclass
class Outcome:
    server_closed: bool  # the server closed the connection on its own
    seconds: float
    error: str = ""


# ---- Twilio Media Streams ------------------------------------------------------------------
twilio_message = st.one_of(
    st.text(max_size=40).map(lambda s: ("text", s, "bad")),  # JSON rarely; classified below
    st.dictionaries(st.text(max_size=8).filter(lambda k: k != "event"), json_value, max_size=4)
    .map(lambda d: ("text", _t(d), "bad")),
    not_dict.map(lambda v: ("text", _t(v), "bad")),
    st.text(max_size=12).filter(lambda e: e not in KNOWN_EVENTS)
    .map(lambda e: ("text", _t({"event": e, "x": 1}), "ok")),
    st.binary(max_size=400).map(lambda b: ("text", _t({"event": "media", "media": {"payload": _b64(b)}}), "ok")),
    st.just(("text", _t({"event": "media", "media": {"payload": ""}}), "ok")),  # empty is not an error
    st.integers(8001, 12000).map(lambda n: ("text", _t({"event": "media", "media": {"payload": _b64(bytes(n))}}),
                                             "bad")),
    st.text(min_size=1, max_size=30).filter(lambda s: not _valid_b64(s))
    .map(lambda s: ("text", _t({"event": "media", "media": {"payload": s}}), "bad")),
    not_dict.map(lambda v: ("text", _t({"event": "media", "media": v}), "bad")),
    st.sampled_from("0123456789*#").map(lambda d: ("text", _t({"event": "dtmf", "dtmf": {"digit": d}}), "ok")),
    st.just(("text", _t({"event": "dtmf"}), "bad")),
    st.text(max_size=10).map(lambda n: ("text", _t({"event": "mark", "mark": {"name": n}}), "ok")),
    st.sampled_from(["connected", "start"]).map(lambda e: ("text", _t({"event": e, "start": {}}), "bad")),
    not_dict.map(lambda v: ("text", _t({"event": "start", "start": v}), "bad")),
    not_dict.filter(lambda v: bool(v)).map(
        lambda v: ("text", _t({"event": "start", "start": {"streamSid": "MZx", "customParameters": v}}), "bad")),
    st.binary(max_size=200).map(lambda b: ("binary", b, "bad")),
    st.just(("text", "", "bad")),
    st.just(("text", "x" * 70_000, "bad")),  # beyond the 64 KiB message limit
    st.just(("text", _t({"event": "stop"}), "end")),
)


def _valid_b64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
        return True
    except ValueError:
        return False


def _classify_text(raw: str, cls: str) -> str:
    """Random text may happen to be JSON: classify it the way the protocol does."""
    try:
        value = json.loads(raw)
    except ValueError:
        return "bad"
    if isinstance(value, dict) and isinstance(value.get("event"), str):
        return cls
    return "bad"


@st.composite
def twilio_cases(draw: st.DrawFn) -> Case:
    started = draw(st.booleans())
    messages = [(k, d, _classify_text(d, c) if k == "text" and c == "bad" and d[:1] != "x" else c)
                for k, d, c in draw(st.lists(twilio_message, max_size=5))]
    if not started:
        # Before `start` everything but `connected` is a violation; the hello itself is fine.
        messages = [(k, d, "bad") for k, d, _ in messages]
    return Case(messages, draw(st.sampled_from(["close", "abort"])), started)


def _start(ident: str, token: str) -> str:
    return _t({"event": "start", "streamSid": "MZ" + ident,
               "start": {"streamSid": "MZ" + ident, "callSid": "CA" + ident,
                         "customParameters": {"token": token, "caller": "+15550100999"}}})


async def run_twilio_case(ws_url: str, auth_token: str, case: Case) -> Outcome:
    """Play one case; report whether the server closed the connection by itself.

    A started case first gets its call's stream token from the voice webhook, as Twilio
    would (signed with `auth_token` when the bot checks signatures)."""
    from bot.caller.webhook import stream_token

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    case.ident = case.ident or "fuzz" + uuid.uuid4().hex[:16]
    session = aiohttp.ClientSession()
    try:
        token = await stream_token(ws_url, "CA" + case.ident, auth_token=auth_token) if case.started else ""
        ws = await session.ws_connect(ws_url, max_msg_size=0, autoping=True)
        await ws.send_str(_t({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        if case.started:
            await ws.send_str(_start(case.ident, token))
        for kind, data, cls in case.messages:
            if ws.closed:
                break
            with contextlib.suppress(ConnectionError, RuntimeError):
                await (ws.send_bytes(data) if kind == "binary" else ws.send_str(data))
            if cls in ("bad", "end"):
                break
        closed = await _ws_closed_within(ws, CLOSE_WAIT_S if case.expect_close() else 0.05)
        if not closed and case.ending == "close":
            await ws.close()
        return Outcome(closed, loop.time() - t0)
    except (aiohttp.ClientError, ConnectionError, asyncio.TimeoutError) as exc:
        return Outcome(False, loop.time() - t0, f"{type(exc).__name__}: {exc}")
    finally:
        await session.close()  # for "abort" this drops the socket without a close frame


async def _ws_closed_within(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not ws.closed:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        try:
            msg = await ws.receive(timeout=remaining)
        except asyncio.TimeoutError:
            return False
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING,
                        aiohttp.WSMsgType.ERROR):
            return True
    return True


# ---- AudioSocket -------------------------------------------------------------------------
def _frame(kind: int, payload: bytes, length: int | None = None) -> bytes:
    return struct.pack(">BH", kind, len(payload) if length is None else length) + payload


audiosocket_message = st.one_of(
    st.integers(0, 160).map(lambda n: ("raw", _frame(0x10, bytes(2 * n)), "ok")),
    st.integers(0, 500).map(lambda n: ("raw", _frame(0x10, bytes(2 * n + 1)), "bad")),
    st.integers(8001, 65535).map(lambda n: ("raw", _frame(0x10, b"", n), "bad")),
    st.binary(min_size=0, max_size=3).map(lambda b: ("raw", _frame(0x03, b), "ok")),
    st.tuples(st.integers(0, 255).filter(lambda k: k not in (0x00, 0x01, 0x10, 0xFF)),
              st.binary(max_size=64)).map(lambda kb: ("raw", _frame(kb[0], kb[1]), "ok")),
    st.binary(min_size=0, max_size=20).map(lambda b: ("raw", _frame(0x01, b), "bad")),
    st.binary(max_size=2).map(lambda b: ("raw", _frame(0xFF, b), "end")),
    st.just(("raw", _frame(0x00, b""), "end")),
    st.tuples(st.integers(1, 400), st.integers(0, 3)).map(
        lambda ln: ("truncated", _frame(0x10, bytes(ln[1]), ln[0] + ln[1]), "ok")),
)


@st.composite
def audiosocket_cases(draw: st.DrawFn) -> Case:
    started = draw(st.booleans())
    messages = draw(st.lists(audiosocket_message, max_size=5))
    if not started:
        first = draw(st.binary(max_size=40).filter(lambda b: len(b) != 16)
                     .map(lambda b: ("raw", _frame(draw(st.integers(0, 255)), b), "bad")))
        messages = [first, *messages]
    cut = next((i for i, (kind, _, _) in enumerate(messages) if kind == "truncated"), None)
    if cut is not None:  # nothing can follow a half-sent message
        messages = messages[:cut + 1]
    return Case(messages, draw(st.sampled_from(["close", "abort"])), started)


async def run_audiosocket_case(host: str, port: int, case: Case) -> Outcome:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    call_uuid = uuid.uuid4()
    case.ident = case.ident or str(call_uuid)
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        return Outcome(False, 0.0, f"connect: {exc}")
    closed = False
    try:
        if case.started:
            writer.write(_frame(0x01, call_uuid.bytes))
        sent = []
        for kind, data, cls in case.messages:
            writer.write(data)
            sent.append(kind)
            if cls in ("bad", "end") or kind == "truncated":
                break
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        if sent and sent[-1] == "truncated":
            closed = False  # the peer hangs up mid-message: an ordinary hangup
        else:
            closed = await _eof_within(reader, CLOSE_WAIT_S if case.expect_close() else 0.05)
        return Outcome(closed, loop.time() - t0)
    except (ConnectionError, OSError) as exc:
        return Outcome(True, loop.time() - t0, f"{type(exc).__name__}")
    finally:
        if case.ending == "abort" and writer.transport is not None:
            writer.transport.abort()
        else:
            writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


async def _eof_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        try:
            chunk = await asyncio.wait_for(reader.read(65536), remaining)
        except asyncio.TimeoutError:
            return False
        except ConnectionError:
            return True
        if not chunk:
            return True
