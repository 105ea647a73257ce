"""`voicebot bench tts`: time to first audio, real-time factor, throughput, event loop lag,
live first audio at 20 calls; `--intelligibility` and `--cache-share` (their own modules).

Uses a fresh, temporary cache so "uncached" means it. Replies are bank-style texts with
amounts, dates and reference numbers, each one different. Time to first audio (TTFA) is
measured from `SpeechService.stream()` being called to its first chunk (8 kHz mu-law, the
phone format), which includes normalisation, sentence splitting, the worker round trip,
resampling and encoding.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.bench.loop_lag import Pacer
from bot.bench.report import add_json_argument, emit, percentile, summary
from bot.bench.tts_live import live_rows
from bot.call import prompts
from tts.pauses import chunks

TEMPLATES = [
    "Thank you for calling. Your payment of ${amount} was received on {date}, and it will show "
    "on your statement within {days} days. Is there anything else I can help with?",
    "I have found your card ending in {last4}. It was frozen at {time} today, so no new payments "
    "can be made with it. Would you like me to order a replacement?",
    "Your complaint has been logged with reference {ref}. A specialist will call you back on "
    "{phone} within {days} working days.",
    "Sure, I can help with that. The transfer limit for your account is ${limit} per day, and "
    "international transfers usually arrive in {days} to {days2} days.",
    "Your balance is ${amount}. Your last transaction was ${amount2} at {merchant} on {date}.",
    "I'm sorry, I didn't catch that. Could you say your account number again, one digit at a time?",
]
MERCHANTS = ["the grocery store", "Acme Coffee", "City Transport", "the pharmacy", "Blue Books"]


def make_replies(n: int, seed: int = 7) -> list[str]:
    """`n` distinct replies (fixed seed, so runs are comparable)."""
    rng = random.Random(seed)
    replies = []
    for i in range(n):
        template = TEMPLATES[i % len(TEMPLATES)]
        replies.append(
            template.format(
                amount=f"{rng.randint(1, 9999):,}.{rng.randint(0, 99):02d}",
                amount2=f"{rng.randint(1, 500)}.{rng.randint(0, 99):02d}",
                limit=f"{rng.choice([1, 2, 5, 10]) * 1000:,}",
                date=f"{rng.choice(['March', 'April', 'May'])} {rng.randint(1, 28)}",
                days=rng.randint(2, 5), days2=rng.randint(6, 9), last4=rng.randint(1000, 9999),
                time=f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d} {rng.choice(['am', 'pm'])}",
                ref=f"CMP-{rng.randint(2024, 2026)}-{rng.randint(0, 99999):05d}",
                phone=f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                merchant=rng.choice(MERCHANTS),
            )
            + ("" if i < len(TEMPLATES) else f" Request {i}.")  # repeat templates stay unique
        )
    return replies


_ENGINE: Any = None


def _executor_init(params: dict[str, Any]) -> None:
    """ProcessPoolExecutor initializer: one pyttsx3 engine per worker (the compared design)."""
    import os

    from tts.worker import open_engine

    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # pyttsx3 prints on every save_to_file
    global _ENGINE
    _ENGINE = open_engine(params)


def _executor_synth(text: str, rate: int) -> bytes:
    from stt.audio import resample
    from tts.worker import synthesize

    pcm, native = synthesize(_ENGINE, text)
    return resample(pcm, native, rate)


async def _executor_ttfa(voice: Any, workers: int, sentences: list[str]) -> tuple[float, list[float]]:
    """Start-up ms and per-sentence ms for a ProcessPoolExecutor(initializer=...) pool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_executor_init, initargs=(dict(voice.__dict__),),
    )
    try:
        await asyncio.gather(*(loop.run_in_executor(pool, _executor_synth, "Ready.", 8000)
                               for _ in range(workers)))
        startup = (time.perf_counter() - started) * 1000
        times = []
        for sentence in sentences:
            t0 = time.perf_counter()
            await loop.run_in_executor(pool, _executor_synth, sentence, 8000)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return startup, times


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "tts", help="time to first audio, real-time factor, throughput",
        description="Text-to-speech benchmark: TTFA uncached/cached, RTF, throughput at 1/10/20.",
    )
    add_json_argument(parser)
    parser.add_argument("--n", type=_positive, default=40, help="replies per latency measurement (40)")
    parser.add_argument("--workers", type=_positive, help="worker processes (default: tts.workers)")
    parser.add_argument("--live-calls", type=_positive, default=20,
                        help="callers for the live first-audio row (20), each talking 40 %% of the time")
    parser.add_argument("--live-seconds", type=_positive, default=30, help="how long that row runs (30)")
    parser.add_argument("--live-only", action="store_true", help="only the rows under call-like load")
    parser.add_argument("--intelligibility", action="store_true",
                        help="judge's WER per installed voice through 8 kHz mu-law, with first audio, "
                             "CPU, level and the pre-rendered share")
    parser.add_argument("--cache-share", nargs="*", type=Path, metavar="SCENARIOS",
                        help="place the voice scenarios (default: all) and report the share of "
                             "spoken audio served from the cache")
    parser.set_defaults(func=run)


async def _ttfa(service: Any, text: str, fmt: str = "mulaw8k") -> tuple[float, float, int]:
    """(ms to first chunk, ms to the whole reply, bytes)."""
    started = time.perf_counter()
    first = None
    size = 0
    async for chunk in service.stream(text, fmt):
        if first is None:
            first = (time.perf_counter() - started) * 1000
        size += len(chunk)
    return first or 0.0, (time.perf_counter() - started) * 1000, size


async def _bench(args: argparse.Namespace, settings: Any, cache_dir: Path) -> list[list[Any]]:
    from tts.cache import AudioCache
    from tts.normalize import Normalizer
    from tts.pool import PooledSynthesizer
    from tts.service import SpeechService
    from tts.synthesizer import VoiceParams

    tts = settings.tts
    voice = VoiceParams.from_settings(tts)
    workers = getattr(args, "workers", None) or tts.workers
    synth = PooledSynthesizer(voice, workers=workers, request_timeout_s=tts.request_timeout_s,
                              tail_nice=tts.tail_worker_nice)

    def service(first_max_words: int, cache: AudioCache) -> SpeechService:
        return SpeechService(synth, cache, voice, Normalizer(tts.date_order), first_max_words,
                             group_pause_ms=tts.digit_group_pause_ms)

    rows: list[list[Any]] = []

    def add(measure: str, values: list[float], unit: str = "ms") -> None:
        s = summary(values)
        digits = 2 if unit == "ms" else 4
        rows.append([measure, s["n"], round(s["median"], digits), round(s["p95"], digits), unit])

    t0 = time.perf_counter()
    await synth.start()
    rows.append([f"start {workers} warm workers", 1, round((time.perf_counter() - t0) * 1000), "", "ms"])
    try:
        if not getattr(args, "live_only", False):
            await _latency_rows(args, tts, synth, service, cache_dir, add, rows)
    finally:
        await synth.close()
    calls = int(getattr(args, "live_calls", 20) or 20)
    await live_rows(tts, voice, workers, calls, float(getattr(args, "live_seconds", 30) or 30),
                    list(prompts.ALL), add, rows)
    return rows


async def _latency_rows(args: argparse.Namespace, tts: Any, synth: Any, service: Any,
                        cache_dir: Path, add: Any, rows: list[list[Any]]) -> None:
    """TTFA uncached/cached, pipe workers vs. executor, RTF, throughput at 1/10/20."""
    from tts.cache import AudioCache

    workers = synth.size
    voice = synth.voice
    n = max(2, int(getattr(args, "n", 40) or 40))
    cut = service(tts.first_chunk_max_words, AudioCache(cache_dir, tts.memory_cache_items))
    whole = service(0, AudioCache(None, 0))
    fresh = service(tts.first_chunk_max_words, AudioCache(None, 0))  # never cached
    await cut.cache.load_index()
    replies = make_replies(n)
    for text in make_replies(4, seed=99):  # warm code paths, not the cache
        await _ttfa(whole, text)
    # Uncached: first chunk cut at a clause (the default) vs. the whole first sentence.
    first_cut, first_whole = [], []
    for text in replies:  # no cache at all: replies share some first sentences
        first_cut.append((await _ttfa(fresh, text))[0])
        first_whole.append((await _ttfa(whole, text))[0])
    add(f"TTFA uncached, first chunk <= {tts.first_chunk_max_words} words", first_cut)
    add("TTFA uncached, whole first sentence", first_whole)
    # Cached: the same replies again, from memory, then from disk only.
    for text in replies:
        await _ttfa(cut, text)
    add("TTFA cached (memory LRU)", [(await _ttfa(cut, t))[0] for t in replies])
    await cut.cache.flush()
    disk = []
    for text in replies:
        cut.cache.clear_memory()
        disk.append((await _ttfa(cut, text))[0])
    add("TTFA cached (disk)", disk)
    assert cut.synthesized == len({p for t in replies for s in cut.plan(t)
                                   for p, _ in chunks(s, cut.group_pause_ms)}), "cache missed"
    # The pool design, side by side on the same first chunks: our persistent pipe workers
    # (asyncio subprocesses) vs. ProcessPoolExecutor with an engine per worker.
    firsts = [fresh.plan(text)[0] for text in replies]
    pipe = []
    for sentence in firsts:
        t0 = time.perf_counter()
        await synth.synthesize(sentence, 8000)
        pipe.append((time.perf_counter() - t0) * 1000)
    add("first chunk via pipe workers (used)", pipe)
    startup, executor = await _executor_ttfa(voice, workers, firsts)
    add("first chunk via ProcessPoolExecutor", executor)
    rows.append([f"  ProcessPoolExecutor start {workers} workers", 1, round(startup), "", "ms"])
    # Real-time factor: engine time (in the worker) and end to end, per sentence.
    engine_rtf, e2e_rtf = [], []
    for text in make_replies(min(n, 20), seed=11):
        for sentence in whole.plan(text):
            started = time.perf_counter()
            audio, synth_ms = await synth.synthesize_timed(sentence, 8000)
            e2e = (time.perf_counter() - started) * 1000
            if audio.duration_s > 0:
                engine_rtf.append(synth_ms / 1000 / audio.duration_s)
                e2e_rtf.append(e2e / 1000 / audio.duration_s)
    add(f"RTF engine ({voice.engine}, in worker)", engine_rtf, "x")
    add("RTF end to end (queue + IPC + resample)", e2e_rtf, "x")
    # Throughput: C callers at once, each asking for whole uncached replies.
    for concurrency in (1, 10, 20):
        texts = make_replies(max(n, 2 * concurrency), seed=100 + concurrency)
        queue = list(texts)
        firsts: list[float] = []
        audio_ms = 0.0

        async def caller(queue: list[str] = queue, firsts: list[float] = firsts) -> None:
            nonlocal audio_ms
            while queue:
                first, _, size = await _ttfa(fresh, queue.pop())
                firsts.append(first)
                audio_ms += size / 8  # mu-law 8 kHz: 8 bytes per ms

        started = time.perf_counter()
        with Pacer() as pacer:  # the bot's 20 ms audio pacing, on the same loop
            await asyncio.gather(*(caller() for _ in range(concurrency)))
        wall = time.perf_counter() - started
        rows.append([f"throughput, {concurrency} concurrent", len(texts),
                     round(len(texts) / wall, 1), "", "replies/s"])
        rows.append([f"  audio produced, {concurrency} concurrent", len(texts),
                     round(audio_ms / 1000 / wall, 1), "", "x real time"])
        rows.append([f"  TTFA, {concurrency} concurrent", len(firsts),
                     round(percentile(firsts, 50), 1), round(percentile(firsts, 95), 1), "ms"])
        add(f"  event loop lag, {concurrency} concurrent", [lag * 1000 for lag in pacer.lags])


def run(args: argparse.Namespace, settings: Any) -> int:
    if getattr(args, "intelligibility", False):
        return run_intelligibility_table(args, settings)
    if getattr(args, "cache_share", None) is not None:
        return run_cache_share_table(args, settings)
    with tempfile.TemporaryDirectory(prefix="tts-bench-") as tmp:
        rows = asyncio.run(_bench(args, settings, Path(tmp)))
    tts = settings.tts
    emit(
        "tts: time to first audio, real-time factor, throughput",
        ["measure", "n", "median", "p95", "unit"],
        rows,
        getattr(args, "json", None),
        {"engine": tts.engine, "voice": _voice(settings).voice, "rate_wpm": tts.rate_wpm,
         "workers": getattr(args, "workers", None) or tts.workers,
         "format": "mulaw8k", "acceptance": {"ttfa_uncached_p95_ms": 150, "ttfa_cached_p95_ms": 5,
                                             "live_first_audio_p95_ms_20_calls_piper": 400}},
    )
    return 0


def _voice(settings: Any) -> Any:
    from tts.synthesizer import VoiceParams

    return VoiceParams.from_settings(settings.tts)


def run_intelligibility_table(args: argparse.Namespace, settings: Any) -> int:
    from bot.bench.tts_intelligibility import COLUMNS, run_intelligibility

    rows, extra = run_intelligibility(settings)
    emit(f"tts intelligibility: judge {extra['judge']}, {len(extra['sentences'])} bot sentences "
         "through 8 kHz mu-law", COLUMNS, rows, getattr(args, "json", None), extra)
    return 0


def run_cache_share_table(args: argparse.Namespace, settings: Any) -> int:
    from bot.bench.tts_cache_share import COLUMNS, run_cache_share

    rows, extra = run_cache_share(settings, list(args.cache_share))
    emit(f"tts cache share over {extra['scenarios']} voice scenarios ({extra['scenarios_passed']} "
         f"passed), tts.engine {settings.tts.engine}", COLUMNS, rows, getattr(args, "json", None), extra)
    return 0
