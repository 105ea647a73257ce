"""Live first audio under a call-like load: `calls` callers, each speaking `talk_share` of the time.

Every caller asks for a read-back no cache holds (a new amount, reference or phone number),
plays it (waits its duration), listens for the rest of its cycle, and asks again: first
audio is timed from the request to the first chunk. Unlike the throughput rows, callers
are not all asking at once all the time, which is how the priority queue meets real calls.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from bot.bench.loop_lag import Pacer


def read_backs(n: int, seed: int = 23) -> list[str]:
    """`n` distinct read-back sentences (first chunk of a live reply)."""
    rng = random.Random(seed)
    kinds = [
        lambda: f"Your reference number is CMP-{rng.randint(2024, 2026)}-{rng.randint(0, 99999):05d}.",
        lambda: f"That's ${rng.randint(1, 9999):,}.{rng.randint(0, 99):02d} on {rng.choice(['March', 'May'])} {rng.randint(1, 28)}.",
        lambda: f"We will call you back on 555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}.",
        lambda: f"The number I have is {rng.randint(10_000_000, 99_999_999)}.",
    ]
    return [kinds[i % len(kinds)]() for i in range(n)]


async def live_first_audio(service: Any, calls: int, seconds: float,
                           talk_share: float = 0.4) -> dict[str, Any]:
    """First-audio times (ms) and loop lag while `calls` callers talk for `seconds`."""
    texts = read_backs(calls * int(seconds) + 10)
    firsts: list[float] = []
    deadline = time.monotonic() + seconds
    rng = random.Random(5)

    async def caller(index: int) -> None:
        await asyncio.sleep(rng.random() * 3)  # calls do not all start at once
        while time.monotonic() < deadline:
            text = texts.pop()
            started = time.perf_counter()
            size = 0
            async for chunk in service.stream(text, "mulaw8k"):
                if not size:
                    firsts.append((time.perf_counter() - started) * 1000)
                size += len(chunk)
            spoken = size / 8000
            await asyncio.sleep(max(0.0, spoken / talk_share - (time.perf_counter() - started)))

    with Pacer() as pacer:
        await asyncio.gather(*(caller(i) for i in range(calls)))
    return {"first_ms": firsts, "loop_lag_ms": [lag * 1000 for lag in pacer.lags]}
