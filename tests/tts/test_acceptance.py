"""The issue's acceptance bounds: first audio p95 <= 150 ms uncached, <= 5 ms cached."""

from __future__ import annotations

import time

from bot.bench.report import percentile
from tts.service import SpeechService


async def first_chunk_ms(service: SpeechService, text: str) -> float:
    started = time.perf_counter()
    stream = service.stream(text, "mulaw8k")
    try:
        await stream.__anext__()
        return (time.perf_counter() - started) * 1000
    finally:
        await stream.aclose()  # as the player does: the rest of the reply is not needed


async def test_time_to_first_audio_uncached_and_cached(service: SpeechService) -> None:
    replies = [
        f"Thanks for waiting, caller {i}. Your balance is ${100 + i}.{i:02d} as of March {i % 28 + 1}."
        for i in range(20)
    ]
    uncached = [await first_chunk_ms(service, text) for text in replies]
    assert service.synthesized >= 20
    cached = [await first_chunk_ms(service, text) for text in replies]
    assert percentile(uncached, 95) <= 150, uncached
    assert percentile(cached, 95) <= 5, cached
