"""What the first-audio acceptance bounds rest on, checked without a stopwatch.

The bounds themselves (first audio p95 <= 150 ms uncached, <= 5 ms cached) are wall-clock
claims about this machine: `voicebot bench tts` measures them (docs/benchmarks.md). Here:
an uncached reply's first chunk needs only its own sentence, and a cached reply's first
chunk comes without any worker at all.
"""

from __future__ import annotations

import asyncio

from tts.service import SpeechService

from .fake_synthesizer import HoldingSynthesizer

REPLIES = [
    f"Thanks for waiting, caller {i}. Your balance is ${100 + i}.{i:02d} as of March {i % 28 + 1}."
    for i in range(20)
]
HANG_S = 30.0  # a guard against a hang, not a bound: the real one is in the benchmark


async def first_chunk(service: SpeechService, text: str) -> bytes:
    stream = service.stream(text, "mulaw8k")
    try:
        return await asyncio.wait_for(stream.__anext__(), HANG_S)
    finally:
        await stream.aclose()  # as the player does: the rest of the reply is not needed


async def test_uncached_first_audio_does_not_wait_for_the_rest_of_the_reply(service: SpeechService) -> None:
    holding = HoldingSynthesizer(service.synthesizer)
    service.synthesizer = holding
    text = REPLIES[0]
    assert len(service.plan(text)) >= 2
    stream = service.stream(text, "mulaw8k")
    first = await asyncio.wait_for(stream.__anext__(), HANG_S)  # a service that waited for
    assert first and service.synthesized == 1  # the whole reply would never get here
    assert holding.held == len(service.plan(text)) - 1
    holding.release()
    rest = [chunk async for chunk in stream]
    assert len(rest) == len(service.plan(text)) - 1 and all(rest)


async def test_cached_first_audio_needs_no_worker(service: SpeechService) -> None:
    uncached = [await first_chunk(service, text) for text in REPLIES]
    synthesized = service.synthesized
    assert synthesized >= len(REPLIES)
    await service.synthesizer.close()  # from here on, a cache miss is a TtsError
    cached = [await first_chunk(service, text) for text in REPLIES]
    assert cached == uncached
    assert service.synthesized == synthesized
