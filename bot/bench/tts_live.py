"""First audio under a call-like load: `calls` callers, each speaking `talk_share` of the time.

Each caller asks for a reply, plays it (waits its duration), listens for the rest of its
cycle, and asks again. Every `live_every`-th reply is a read-back no cache holds (a new
amount, reference or phone number); the others are fixed lines, pre-rendered first, as on a
call after `voicebot train`. First audio is timed from the request to the first chunk, for
the live and the cached replies apart. Unlike the throughput rows, callers are not all
asking at once all the time: this is how the priority queue meets real calls.

`live_rows` runs that load twice, side by side: with the pool's worker roles (one worker for
first chunks only, the configured design) and with every worker taking any chunk (before).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from bot.bench.loop_lag import Pacer
from bot.bench.report import percentile

GAP_S = 0.02  # a chunk later than this after the audio before it ran out is a gap (one frame)
CACHED_MS = 5.0  # a first chunk from the cache starts under this (issue 22's bound)


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


async def live_first_audio(service: Any, calls: int, seconds: float, fixed: list[str],
                           talk_share: float = 0.4, live_every: int = 3) -> dict[str, Any]:
    """First-audio times (ms) of live and cached replies, the cache share and the loop lag
    while `calls` callers talk for `seconds`."""
    await service.prerender(fixed, ["mulaw8k"])
    service.audio_ms.update(cache=0.0, live=0.0)
    texts = read_backs(calls * int(seconds) + 10)
    firsts: dict[str, list[float]] = {"live": [], "cached": []}
    gaps: list[float] = []
    deadline = time.monotonic() + seconds
    rng = random.Random(5)

    async def caller(index: int) -> None:
        await asyncio.sleep(rng.random() * 3)  # calls do not all start at once
        turn = index
        while time.monotonic() < deadline:
            turn += 1
            live = turn % live_every == 0
            text = texts.pop() if live else fixed[turn % len(fixed)]
            started = time.perf_counter()
            size = 0
            play_until = 0.0  # when the audio received so far has played out (mu-law: 8 bytes/ms)
            async for chunk in service.stream(text, "mulaw8k"):
                now = time.perf_counter()
                if not size:
                    firsts["live" if live else "cached"].append((now - started) * 1000)
                elif now > play_until + GAP_S:
                    gaps.append((now - play_until) * 1000)  # the caller heard silence mid-reply
                play_until = max(play_until, now) + len(chunk) / 8000
                size += len(chunk)
            spoken = size / 8000
            await asyncio.sleep(max(0.0, spoken / talk_share - (time.perf_counter() - started)))

    with Pacer() as pacer:
        await asyncio.gather(*(caller(i) for i in range(calls)))
    return {"live_ms": firsts["live"], "cached_ms": firsts["cached"], "gaps_ms": gaps,
            "cache_share": service.cache_share(), "loop_lag_ms": [lag * 1000 for lag in pacer.lags]}


async def live_rows(tts: Any, voice: Any, workers: int, calls: int, seconds: float,
                    fixed: list[str], add: Any, rows: list[list[Any]]) -> None:
    """The call-like load rows, for worker roles (used) and for any worker taking any chunk;
    the two alternate in two rounds of `seconds` / 2 each, so a change in the machine's other
    load falls on both."""
    from tts.cache import AudioCache
    from tts.normalize import Normalizer
    from tts.pool import PooledSynthesizer
    from tts.service import SpeechService

    runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for roles in (True, False, False, True):
        synth = PooledSynthesizer(voice, workers=workers, request_timeout_s=tts.request_timeout_s,
                                  tail_nice=tts.tail_worker_nice, first_chunk_worker=roles)
        service = SpeechService(synth, AudioCache(None, 512), voice, Normalizer(tts.date_order),
                                tts.first_chunk_max_words, group_pause_ms=tts.digit_group_pause_ms)
        async with service:
            runs[roles].append(await live_first_audio(service, calls, seconds / 2, fixed))
    p95: dict[bool, float] = {}
    for roles, results in runs.items():
        design = "worker roles, used" if roles else "any worker takes any chunk, before"
        live = [ms for r in results for ms in r["live_ms"]]
        made = [ms for ms in live if ms > CACHED_MS]  # the first chunk was synthesised for it
        p95[roles] = percentile(made, 95) if made else 0.0
        add(f"first audio, live read-backs, {calls} calls talking 40 % of the time ({design})", live)
        add(f"  of which first chunk synthesised, {calls} calls ({design})", made)
        add(f"  first audio, cached lines, {calls} calls ({design})", [ms for r in results for ms in r["cached_ms"]])
        share = sum(r["cache_share"] for r in results) / len(results)
        rows.append([f"  spoken audio from the cache, {calls} calls ({design})", "", round(share, 3), "", "share"])
        gaps = [ms for r in results for ms in r["gaps_ms"]]
        rows.append([f"  chunks late mid-reply (silence heard), {calls} calls ({design})", sum(len(r["live_ms"]) + len(r["cached_ms"]) for r in results),
                     len(gaps), round(max(gaps), 1) if gaps else "", "late chunks of n replies; max ms"])
        add(f"  event loop lag, {calls} calls ({design})", [ms for r in results for ms in r["loop_lag_ms"]])
    ratio = round(p95[True] / p95[False], 2) if p95[False] and p95[True] else ""  # "": none synthesised
    rows.append(["synthesised first audio p95, roles / before", "", "", ratio, "ratio"])
