"""Transfer to a number or SIP address instead of the console: the TwiML for Twilio.

Twilio: when the media stream ends, Twilio requests the `<Connect action="...">` URL; the
bot answers with `dial_twiml(...)`. A SIP target gets the call id as a custom header
(`X-Voicebot-Call-Id`), so the agent's softphone or PBX can look up the context with
`GET /api/queue/{call_id}`; a phone number gets a whisper URL instead, played to the agent
before the caller is connected. (Asterisk/AudioSocket: the dialplan continues after the
AudioSocket application returns; the bot sets the channel variable with the call id and
hangs up its socket, and the dialplan does `Dial(${TRANSFER_TARGET})`.)
"""

from __future__ import annotations

import re
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

_NUMBER = re.compile(r"^\+?[0-9][0-9 ()-]{2,30}$")
_SIP = re.compile(r"^sips?:[^\s<>\"]+$", re.IGNORECASE)


class TransferTargetError(ValueError):
    """The configured transfer target is neither a phone number nor a sip: URI."""


def target_kind(target: str) -> str:
    """"number" or "sip"; raises TransferTargetError otherwise."""
    if _SIP.match(target):
        return "sip"
    if _NUMBER.match(target):
        return "number"
    raise TransferTargetError(f"transfer target {target!r}: use +15551234567 or sip:agent@pbx.example.com")


def dial_twiml(target: str, call_id: str, whisper_url: str | None = None,
               timeout_s: int = 30, caller_id: str | None = None) -> str:
    """`<Response><Dial>` to `target`, carrying `call_id` so the context can be found."""
    kind = target_kind(target)
    attrs = f' timeout="{int(timeout_s)}"'
    if caller_id:
        attrs += f" callerId={quoteattr(caller_id)}"
    if kind == "sip":
        separator = "&" if "?" in target else "?"
        uri = f"{target}{separator}X-Voicebot-Call-Id={quote(call_id, safe='')}"
        inner = f"<Sip>{escape(uri)}</Sip>"
    else:
        number = re.sub(r"[ ()-]", "", target)
        url_attr = f" url={quoteattr(whisper_url)}" if whisper_url else ""
        inner = f"<Number{url_attr}>{escape(number)}</Number>"
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Dial{attrs}>{inner}</Dial></Response>'
