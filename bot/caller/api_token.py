"""API tokens for the local tools (`voicebot call`, `voicebot test voice`, benchmarks, tests).

They are made directly in the configured escalation store, as `voicebot tokens add` would;
a temporary one is revoked when the tool is done with it.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any


@contextlib.asynccontextmanager
async def api_tokens_of(settings: Any) -> AsyncIterator[Any]:
    """The `ApiTokens` of the configured escalation store, open for the block."""
    from escalation.api_tokens import ApiTokens
    from escalation.stores import open_store

    esc = settings.escalation
    store = await open_store(esc.store, str(settings.data_path(esc.sqlite_path)), esc.redis_url,
                             esc.redis_prefix)
    try:
        yield ApiTokens(store)
    finally:
        await store.close()


async def make_token(settings: Any, name: str, scopes: list[str], days: float = 1.0) -> str:
    async with api_tokens_of(settings) as tokens:
        return (await tokens.add(name, scopes, days))[0]


async def revoke_token(settings: Any, name: str) -> None:
    async with api_tokens_of(settings) as tokens:
        await tokens.revoke(name)


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
