"""API tokens for machine-to-machine reads: scoped, expiring, revocable, stored only as a hash.

Made with `voicebot tokens add NAME --scope calls:read`; presented as
`Authorization: Bearer vbt_...`. The token itself is shown once and never stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from typing import Any

from escalation.stores import EscalationStore

KIND = "api_token"
PREFIX = "vbt_"
SCOPES = {
    "calls:read": "read call records at /calls/{call_id}",
    "transfers:read": "Asterisk's dialplan asks /asterisk/transfer/{uuid} where to Dial",
}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_DAYS = 3650


class TokenError(ValueError):
    """A bad token name, scope or lifetime; the message says which."""


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokens:
    """The token table, kept as records in the escalation store."""

    def __init__(self, store: EscalationStore) -> None:
        self.store = store

    async def add(self, name: str, scopes: list[str], days: float = 90) -> tuple[str, dict[str, Any]]:
        """A new token (shown once) and its stored record."""
        if not NAME.match(name):
            raise TokenError("name: 1-64 letters, digits, '.', '_' or '-'")
        unknown = [s for s in scopes if s not in SCOPES]
        if not scopes or unknown:
            raise TokenError(f"scope must be one of {', '.join(SCOPES)}")
        if not 0 < days <= MAX_DAYS:
            raise TokenError(f"expiry: more than 0 and at most {MAX_DAYS} days")
        if any(r["name"] == name and not r.get("revoked_at") for r in await self.list()):
            raise TokenError(f"a token named {name!r} exists already (revoke it first)")
        token = PREFIX + secrets.token_urlsafe(32)
        now = time.time()
        record = {"id": token_id(token), "name": name, "scopes": sorted(set(scopes)),
                  "created_at": now, "expires_at": now + days * 86400, "revoked_at": None,
                  "last_used_at": None}
        await self.store.put_record(KIND, record["id"], record)
        return token, record

    async def list(self) -> list[dict[str, Any]]:
        return await self.store.list_records(KIND)

    async def revoke(self, name: str) -> int:
        """Revoke every live token with this name; how many were."""
        count = 0
        for record in await self.list():
            if record["name"] == name and not record.get("revoked_at"):
                record["revoked_at"] = time.time()
                await self.store.put_record(KIND, record["id"], record)
                count += 1
        return count

    async def check(self, token: str, scope: str) -> tuple[dict[str, Any] | None, str]:
        """(record, "") when the token is live and has `scope`; else (record or None, why not)."""
        if not token.startswith(PREFIX):
            return None, "not an API token"
        record = await self.store.get_record(KIND, token_id(token))
        if record is None:
            return None, "unknown token"
        if record.get("revoked_at"):
            return record, "token revoked"
        if record["expires_at"] < time.time():
            return record, "token expired"
        if scope not in record["scopes"]:
            return record, f"token lacks scope {scope}"
        if not record.get("last_used_at") or time.time() - record["last_used_at"] > 60:
            record["last_used_at"] = time.time()  # written at most once a minute
            await self.store.put_record(KIND, record["id"], record)
        return record, ""


def public(record: dict[str, Any]) -> dict[str, Any]:
    """What `tokens list` shows: everything but the hash."""
    return {k: v for k, v in record.items() if k != "id"}
