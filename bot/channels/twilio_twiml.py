"""Twilio voice webhooks: the TwiML that connects a call to our stream, and the transfer answer.

Point a Twilio number's "A call comes in" webhook at `POST /twilio/voice`. The stream's
`<Connect action>` comes back to `POST /twilio/connect-action` when the stream ends: a
transfer then answers `<Dial>`, anything else `<Hangup/>`.
"""

from __future__ import annotations

import logging
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from bot.call.prompts import LINES_BUSY
from bot.call.services import SERVICES
from bot.channels.twilio_auth import signature_valid
from bot.server import CALLS, SETTINGS, STREAM_TOKENS

log = logging.getLogger(__name__)

TWILIO_TRANSFERS = web.AppKey("twilio_transfers", dict)  # CallSid -> transfer target


async def _form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    form = {k: str(v) for k, v in data.items()}
    token = request.app[SETTINGS].calls.twilio_auth_token
    if token and not signature_valid(request, token, form):
        log.warning("twilio webhook %s refused: bad X-Twilio-Signature", request.path)
        raise web.HTTPForbidden(text="bad signature")
    return form


def _twiml(body: str) -> web.Response:
    xml = f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'
    return web.Response(text=xml, content_type="application/xml")


def _base_url(request: web.Request) -> str:
    configured = request.app[SETTINGS].server.public_url.rstrip("/")
    if configured:
        return configured
    proto = request.headers.get("X-Forwarded-Proto", request.scheme)
    return f"{proto}://{request.headers.get('X-Forwarded-Host', request.host)}"


async def voice_webhook(request: web.Request) -> web.Response:
    """Answer an incoming call with `<Connect><Stream>` to `/twilio/media`."""
    form = await _form(request)
    refusal = request.app[SERVICES].refusal(len(request.app[CALLS]))
    if refusal is not None:
        log.warning("twilio call %s turned away: %s", form.get("CallSid", "?"), refusal[1])
        return _twiml(f"<Say>{escape(LINES_BUSY)}</Say><Hangup/>")
    base = _base_url(request)
    ws_base = base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    # A token for this call only, spent by the stream it opens, and dead within a minute.
    call_sid = form.get("CallSid", "")
    token = request.app[STREAM_TOKENS].mint(call_sid)
    params = [("caller", form.get("From", "")), ("called", form.get("To", "")),
              ("call", call_sid), ("token", token)]
    parameters = "".join(f"<Parameter name={quoteattr(k)} value={quoteattr(v)}/>" for k, v in params)
    # The call's id in the path lets a balancer keep the stream on this machine.
    stream = "/twilio/media" + (f"/{quote(call_sid, safe='')}" if call_sid else "")
    return _twiml(
        f"<Connect action={quoteattr(base + '/twilio/connect-action')}>"
        f"<Stream url={quoteattr(ws_base + stream)}>{parameters}</Stream></Connect>"
    )


def dial_twiml(target: str, call_sid: str) -> str:
    """`<Dial>` to a number or a SIP address, carrying the call id for the screen pop."""
    if target.startswith("sip:"):
        sep = "&" if "?" in target else "?"
        uri = f"{target}{sep}X-Voicebot-Call-Id={call_sid}"
        return f"<Dial><Sip>{escape(uri)}</Sip></Dial>"
    return f"<Dial><Number>{escape(target)}</Number></Dial>"


async def connect_action_webhook(request: web.Request) -> web.Response:
    """After the stream ends: `<Dial>` the agent line for a transfer, else hang up."""
    form = await _form(request)
    call_sid = form.get("CallSid", "")
    target = request.app[TWILIO_TRANSFERS].pop(call_sid, None)
    if target:
        log.info("twilio call %s transferred to %s", call_sid, target)
        return _twiml(dial_twiml(target, call_sid))
    return _twiml("<Hangup/>")

