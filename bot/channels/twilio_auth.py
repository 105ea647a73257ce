"""Twilio request signatures (X-Twilio-Signature), checked with Twilio's own validator."""

from __future__ import annotations

from aiohttp import web
from twilio.request_validator import RequestValidator


def public_url(request: web.Request) -> str:
    """The URL Twilio signed: the one it was given, honouring a proxy's forwarded headers."""
    proto = request.headers.get("X-Forwarded-Proto", request.scheme)
    host = request.headers.get("X-Forwarded-Host", request.host)
    if request.path.endswith("/media") and proto in ("http", "https"):
        proto = {"http": "ws", "https": "wss"}[proto]
    return f"{proto}://{host}{request.path_qs}"


def signature_valid(request: web.Request, auth_token: str,
                    form: dict[str, str] | None = None) -> bool:
    """True when the request carries a valid Twilio signature for its URL and form."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    return RequestValidator(auth_token).validate(public_url(request), form or {}, signature)
