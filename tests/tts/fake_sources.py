"""Scripted audio sources for player timing tests (timing only; the audio bytes are given)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator


async def chunks_with_gaps(parts: list[tuple[float, bytes]]) -> AsyncIterator[bytes]:
    """Yield each chunk after waiting its delay in seconds (a slow next sentence)."""
    for delay, chunk in parts:
        if delay:
            await asyncio.sleep(delay)
        yield chunk


async def never_ready(first: bytes) -> AsyncIterator[bytes]:
    """One chunk, then a next sentence that never arrives."""
    yield first
    await asyncio.Event().wait()
    yield b""
