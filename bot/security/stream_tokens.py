"""Per-call stream tokens: an HMAC of the call id and an expiry, good for one connection.

A token reads `v1.<expiry>.<nonce>.<mac>`; the call id is not in it, so it must be known
from elsewhere (Twilio's `callSid` in the stream's start message, the browser token's own
call id), and a token made for one call never opens another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

TTL_S = 60.0


def _mac(key: bytes, call_id: str, expiry: int, nonce: str) -> str:
    digest = hmac.new(key, f"v1|{call_id}|{expiry}|{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class StreamTokens:
    """Mints and checks stream tokens under one server key; remembers used ones until expiry."""

    def __init__(self, key: bytes, ttl_s: float = TTL_S) -> None:
        self._key = key
        self.ttl_s = ttl_s
        self._used: dict[str, float] = {}  # nonce -> expiry

    def mint(self, call_id: str, now: float | None = None, ttl_s: float | None = None) -> str:
        expiry = int((time.time() if now is None else now) + (self.ttl_s if ttl_s is None else ttl_s))
        nonce = secrets.token_urlsafe(12)
        return f"v1.{expiry}.{nonce}.{_mac(self._key, call_id, expiry, nonce)}"

    def check(self, token: str, call_id: str, now: float | None = None) -> str:
        """"" when the token opens `call_id` now (and is spent); else why not."""
        now = time.time() if now is None else now
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != "v1" or not parts[1].isdigit():
            return "malformed token"
        expiry, nonce, mac = int(parts[1]), parts[2], parts[3]
        if not hmac.compare_digest(mac.encode(), _mac(self._key, call_id, expiry, nonce).encode()):
            return "token not valid for this call"
        if expiry < now:
            return "token expired"
        self._forget_expired(now)
        if nonce in self._used:
            return "token already used"
        self._used[nonce] = expiry
        return ""

    def _forget_expired(self, now: float) -> None:
        for nonce in [n for n, exp in self._used.items() if exp < now]:
            del self._used[nonce]
