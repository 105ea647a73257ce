"""Call the bot from a browser: a page at `/browser`, its socket at `/browser/ws`.

Socket protocol: binary frames are PCM16 mono 16 kHz both ways; text frames are JSON
control messages. Client to server: {"type": "dtmf", "digit": "5"}, {"type": "hangup"}.
Server to client: {"type": "clear"} (drop queued audio), {"type": "hangup"}.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import secrets
import uuid
from html import escape as html_escape
from pathlib import Path

from aiohttp import WSMsgType, web

from bot.channels.base import AudioIn, CallContext, ChannelClosed, DtmfIn, HangupIn, StartCall
from bot.security.headers import page_csp
from bot.server import STREAM_TOKENS
from stt.audio import AudioFrame

log = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("browser.html")
MAX_FRAME_BYTES = 32000  # one second of 16 kHz PCM16


def add_routes(app: web.Application, start_call: StartCall) -> None:
    """The browser channel: the page, and the socket a call runs over (no transfers)."""
    app.router.add_get("/browser", browser_page)
    app.router.add_get("/browser/ws", functools.partial(handle_browser_socket, start_call=start_call))


class BrowserCall:
    """The outbound half of one browser call."""

    name = "browser"
    output_format = "pcm16k"
    input_rate = 16000

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws

    async def send_audio(self, chunk: bytes) -> None:
        if self.ws.closed:
            raise ChannelClosed("browser socket closed")
        await self.ws.send_bytes(chunk)

    async def clear(self) -> None:
        if not self.ws.closed:
            await self.ws.send_str(json.dumps({"type": "clear"}))

    async def transfer(self, target: str) -> bool:
        return False  # a browser call can only reach an agent through the console

    async def hangup(self) -> None:
        if not self.ws.closed:
            await self.ws.send_str(json.dumps({"type": "hangup"}))
            await self.ws.close()


def _is_loopback(request: web.Request) -> bool:
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


BROWSER_TOKEN_TTL_S = 600.0  # the page's token: one call, within ten minutes of loading it


async def _may_call(request: web.Request) -> bool:
    """From this machine itself, or with a console session (designers try the bot here)."""
    if _is_loopback(request):
        return True
    from escalation.auth import current_agent  # the console's session, if any

    try:
        return await current_agent(request) is not None
    except (KeyError, RuntimeError):  # no escalation services on this app
        return False


def browser_token(request: web.Request) -> str:
    """`<call id>:<token>`, the token bound to a fresh call id."""
    call_id = f"web-{uuid.uuid4()}"
    token = request.app[STREAM_TOKENS].mint(call_id, ttl_s=BROWSER_TOKEN_TTL_S)
    return f"{call_id}:{token}"


async def browser_page(request: web.Request) -> web.Response:
    """The page, carrying a token for one call when the visitor may call."""
    html = PAGE.read_text(encoding="utf-8")
    token = browser_token(request) if await _may_call(request) else ""
    nonce = secrets.token_urlsafe(16)
    html = html.replace("{{TOKEN}}", html_escape(json.dumps(token)[1:-1]))
    html = html.replace("<script>", f'<script nonce="{nonce}">').replace("<style>", f'<style nonce="{nonce}">')
    return web.Response(text=html, content_type="text/html",
                        headers={"Cache-Control": "no-store", "Content-Security-Policy": page_csp(nonce)})


async def handle_browser_socket(request: web.Request, start_call: StartCall) -> web.WebSocketResponse:
    from escalation.auth import same_origin

    if not same_origin(request):
        log.warning("browser call refused from %s: foreign Origin %r", request.remote,
                    request.headers.get("Origin"))
        raise web.HTTPForbidden(text="cross-origin call refused")
    call_id, _, token = request.query.get("token", "").partition(":")
    problem = request.app[STREAM_TOKENS].check(token, call_id) if call_id.startswith("web-") else "no token"
    if problem:
        log.warning("browser call refused from %s: %s", request.remote, problem)
        raise web.HTTPUnauthorized(text="a valid ?token= is required (reload the page for a new one)")
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    channel = BrowserCall(ws)
    context = CallContext(call_id=call_id, channel="browser", caller="browser")
    await start_call(context, channel, lambda put: _pump(ws, put))
    return ws


async def _pump(ws: web.WebSocketResponse, put) -> None:
    reason = "caller_hangup"
    try:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                if len(msg.data) % 2:
                    raise ValueError(f"audio frame of odd length {len(msg.data)}")
                if msg.data:
                    await put(AudioIn(AudioFrame(bytes(msg.data), 16000)))
            elif msg.type == WSMsgType.TEXT:
                control = json.loads(msg.data)
                if control.get("type") == "dtmf":
                    await put(DtmfIn(str(control.get("digit", ""))[:1]))
                elif control.get("type") == "hangup":
                    break
    except (ValueError, AttributeError) as exc:
        log.warning("browser call closed: bad message (%s)", exc)
        reason = "protocol_error"
        await ws.close(code=1008, message=b"protocol error")
    finally:
        await put(HangupIn(reason))
