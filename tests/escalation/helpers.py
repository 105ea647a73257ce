"""Small test helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def until(fetch: Callable[[], Awaitable[Any]], ok: Callable[[Any], bool],
                timeout: float = 5.0, step: float = 0.05) -> Any:
    """Poll `fetch()` until `ok(value)`; return the value (the last one when time ran out)."""
    value = await fetch()
    for _ in range(int(timeout / step)):
        if ok(value):
            break
        await asyncio.sleep(step)
        value = await fetch()
    return value
