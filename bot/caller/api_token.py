"""API tokens for the local tools (`voicebot call`, `voicebot test voice`, benchmarks, tests).

They are made directly in the configured escalation store, as `voicebot tokens add` would;
a temporary one is revoked when the tool is done with it.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any


async def make_token(settings: Any, name: str, scopes: list[str], days: float = 1.0) -> str:
    from escalation.api_tokens import ApiTokens
    from escalation.store import open_store

    esc = settings.escalation
    store = await open_store(esc.store, str(settings.data_path(esc.sqlite_path)), esc.redis_url,
                             esc.redis_prefix)
    try:
        token, _ = await ApiTokens(store).add(name, scopes, days)
    finally:
        await store.close()
    return token


async def revoke_token(settings: Any, name: str) -> None:
    from escalation.api_tokens import ApiTokens
    from escalation.store import open_store

    esc = settings.escalation
    store = await open_store(esc.store, str(settings.data_path(esc.sqlite_path)), esc.redis_url,
                             esc.redis_prefix)
    try:
        await ApiTokens(store).revoke(name)
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def token_for(settings: Any, given: str | None, purpose: str) -> AsyncIterator[str]:
    """`given` when there is one; else a calls:read token for an hour, revoked afterwards."""
    if given:
        yield given
        return
    name = f"{purpose}-{secrets.token_hex(3)}"
    token = await make_token(settings, name, ["calls:read"], days=1 / 24)
    try:
        yield token
    finally:
        await revoke_token(settings, name)
