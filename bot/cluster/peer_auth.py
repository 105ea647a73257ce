"""Requests between bot machines, signed with the shared `cluster.peer_secret` (HMAC-SHA256)
over what they ask (action, call, agent) and a near expiry, so a captured request cannot be
replayed for another call or later."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Voicebot-Peer"
VALID_S = 30.0


def _mac(secret: str, action: str, call_id: str, agent_id: str, expires: int) -> str:
    message = f"{action}\n{call_id}\n{agent_id}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, action: str, call_id: str, agent_id: str, now: float | None = None) -> dict[str, str]:
    """The header that authorises `action` on `call_id` for `agent_id` for VALID_S seconds."""
    expires = int((now or time.time()) + VALID_S)
    return {HEADER: f"{expires}.{_mac(secret, action, call_id, agent_id, expires)}"}


def check(secret: str, header: str, action: str, call_id: str, agent_id: str,
          now: float | None = None) -> bool:
    """Whether `header` (the value of HEADER) authorises this request now."""
    if not secret or "." not in header:
        return False
    expires_text, mac = header.split(".", 1)
    if not expires_text.isdigit() or int(expires_text) < (now or time.time()):
        return False
    return hmac.compare_digest(mac, _mac(secret, action, call_id, agent_id, int(expires_text)))
