"""The speech service the call session talks to: normalise, split, cache, synthesize, stream.

`stream(text, fmt)` yields one chunk per sentence in the channel's format (a sentence that
reads out digit groups: one chunk per group, each followed by `group_pause_ms` of silence).
Every chunk is requested at once (the first at the highest priority), so the first plays
while the rest are synthesized; a cached chunk comes from memory or disk without a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tts.cache import AudioCache, cache_key
from tts.formats import FORMATS, Fmt, encode, output_format
from tts.job_queue import FIRST_CHUNK, PRERENDER
from tts.normalize import Normalizer
from tts.pauses import chunks, group_continues
from tts.pool import PooledSynthesizer
from tts.sentences import split_sentences
from tts.synthesizer import Synthesizer, VoiceParams

log = logging.getLogger(__name__)


class _Inflight:
    def __init__(self, task: asyncio.Task[bytes]) -> None:
        self.task = task
        self.waiters = 0
        self.synthesized = False  # made now by a worker, not read from a cache


class SpeechService:
    """Cache + worker pool + normalisation behind one small async API."""

    def __init__(
        self,
        synthesizer: Synthesizer,
        cache: AudioCache,
        voice: VoiceParams,
        normalizer: Normalizer | None = None,
        first_max_words: int = 10,
        disk_cache_max_bytes: int | None = None,
        group_pause_ms: int = 0,
    ) -> None:
        self.synthesizer = synthesizer
        self.cache = cache
        self.voice = voice
        self.normalizer = normalizer or Normalizer()
        self.first_max_words = first_max_words
        self.disk_cache_max_bytes = disk_cache_max_bytes
        self.group_pause_ms = group_pause_ms
        self._inflight: dict[str, _Inflight] = {}
        self._planner = ThreadPoolExecutor(1, thread_name_prefix="tts-plan")
        self.synthesized = 0
        # Spoken audio (what `stream` yielded) by where it came from: "cache" or "live".
        self.audio_ms = {"cache": 0.0, "live": 0.0}

    @classmethod
    def from_settings(
        cls, tts: Any, cache_dir: Path | None, prerendered_dir: Path | None = None
    ) -> SpeechService:
        """Build from a `TtsSettings`-like object (engine, voice, rate, workers, ...)."""
        voice = VoiceParams.from_settings(tts)
        synthesizer = PooledSynthesizer(
            voice, workers=tts.workers, request_timeout_s=getattr(tts, "request_timeout_s", 10.0),
            tail_nice=getattr(tts, "tail_worker_nice", 10),
        )
        max_mb = getattr(tts, "disk_cache_max_mb", 0)
        return cls(
            synthesizer,
            AudioCache(cache_dir, tts.memory_cache_items, prerendered_dir),
            voice,
            Normalizer(getattr(tts, "date_order", "mdy")),
            first_max_words=getattr(tts, "first_chunk_max_words", 10),
            disk_cache_max_bytes=max_mb * 1024 * 1024 if max_mb else None,
            group_pause_ms=getattr(tts, "digit_group_pause_ms", 0),
        )

    async def start(self) -> None:
        """Start the workers (warm engines); trim the disk cache to its budget."""
        if self.disk_cache_max_bytes:
            removed = await asyncio.to_thread(self.cache.prune, self.disk_cache_max_bytes)
            if removed:
                log.info("tts cache: removed %d old files to stay under budget", removed)
        await self.cache.load_index()
        start = getattr(self.synthesizer, "start", None)
        if start is not None:
            await start()

    async def close(self) -> None:
        await self.cache.flush()
        close = getattr(self.synthesizer, "close", None)
        if close is not None:
            await close()
        self._planner.shutdown(wait=False)

    async def __aenter__(self) -> SpeechService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def plan(self, text: str) -> list[str]:
        """The sentences `text` is spoken as (normalised, first one short)."""
        return split_sentences(self.normalizer(text), self.first_max_words)

    async def render_sentence(self, sentence: str, fmt: Fmt, priority: int = 0) -> bytes:
        """Audio for one already-normalised sentence, from the cache or the workers."""
        return (await self._render(sentence, fmt, priority))[0]

    async def _render(self, sentence: str, fmt: Fmt, priority: int) -> tuple[bytes, bool]:
        """(audio, True when a worker made it for this request rather than a cache)."""
        key = cache_key(self.voice, fmt, sentence)
        data = self.cache.get_memory(key)
        if data is not None:
            return data, False
        # Calls asking for the same sentence at once share one synthesis; it is cancelled
        # only when every one of them has given up (e.g. all callers barged in).
        entry = self._inflight.get(key)
        if entry is None:
            task = asyncio.ensure_future(self._produce(key, sentence, fmt, priority))
            entry = self._inflight[key] = _Inflight(task)
            task.add_done_callback(lambda t: self._finished(key, t))
        entry.waiters += 1
        try:
            return await asyncio.shield(entry.task), entry.synthesized
        finally:
            entry.waiters -= 1
            if entry.waiters == 0 and not entry.task.done():
                entry.task.cancel()

    def _finished(self, key: str, task: asyncio.Task[bytes]) -> None:
        entry = self._inflight.get(key)
        if entry is not None and entry.task is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so an abandoned failure is not logged as lost

    async def _produce(self, key: str, sentence: str, fmt: Fmt, priority: int) -> bytes:
        data = await self.cache.get(key)
        if data is None:
            rate = output_format(fmt).sample_rate
            audio = await self.synthesizer.synthesize(sentence, rate, priority=priority)
            data = encode(audio.pcm, fmt)
            self.synthesized += 1
            entry = self._inflight.get(key)
            if entry is not None:
                entry.synthesized = True
            await self.cache.put(key, data)
        return data

    async def stream(self, text: str, fmt: Fmt) -> AsyncIterator[bytes]:
        """One chunk of `fmt` audio per sentence, in order, the first as soon as it exists."""
        output_format(fmt)
        # Normalising a long reply is ~1 ms of regex work: many calls at once would add up
        # on the event loop, so it runs in one planning thread (one, so it competes with
        # the loop for the GIL alone). A short reply (~0.3 ms) stays here: the hop itself
        # costs ~1 ms (6 ms p95 on a busy 2-core machine).
        if len(text) > 200:
            loop = asyncio.get_running_loop()
            sentences = await loop.run_in_executor(self._planner, self.plan, text)
        else:
            sentences = self.plan(text)
        parts = self._parts(sentences)
        tasks = [
            asyncio.ensure_future(self._render(text, fmt, priority=FIRST_CHUNK + i))
            for i, (text, _) in enumerate(parts)
        ]
        spec = output_format(fmt)
        try:
            for task, (_, pause_ms) in zip(tasks, parts):
                data, live = await task
                self.audio_ms["live" if live else "cache"] += spec.duration_ms(data)
                yield data + spec.silence * (spec.sample_rate * pause_ms // 1000)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:  # retrieve outcomes so none is logged as never retrieved
                with contextlib.suppress(BaseException):
                    await task

    def _parts(self, sentences: list[str]) -> list[tuple[str, int]]:
        """(text, silence after it in ms) for each chunk of `sentences`, in order."""
        parts: list[tuple[str, int]] = []
        for i, sentence in enumerate(sentences):
            own = chunks(sentence, self.group_pause_ms)
            following = sentences[i + 1] if i + 1 < len(sentences) else ""
            if self.group_pause_ms and group_continues(sentence, following):
                own[-1] = (own[-1][0], self.group_pause_ms)
            parts += own
        return parts

    async def synthesize(self, text: str, fmt: Fmt) -> bytes:
        """The whole reply as one piece of `fmt` audio."""
        return b"".join([chunk async for chunk in self.stream(text, fmt)])

    async def prerender(
        self, texts: Iterable[str], formats: Iterable[Fmt] = ("mulaw8k", "pcm16k")
    ) -> int:
        """Cache every sentence of `texts` ahead of time; returns how many were synthesized."""
        texts = list(texts)
        plans = await asyncio.get_running_loop().run_in_executor(
            self._planner, lambda: [self.plan(text) for text in texts]
        )
        return await self.prerender_sentences([s for plan in plans for s in plan], formats)

    async def prerender_sentences(
        self, sentences: Iterable[str], formats: Iterable[Fmt] = ("mulaw8k", "pcm16k")
    ) -> int:
        """Cache already-planned sentences; returns how many were synthesized."""
        before = self.synthesized
        formats = [f for f in formats if f in FORMATS]
        # Sorted by sentence, so a worker's last texts memo serves the other formats.
        parts = {text for sentence in sentences for text, _ in chunks(sentence, self.group_pause_ms)}
        jobs = sorted({(part, fmt) for part in parts for fmt in formats})
        results = await asyncio.gather(
            *(self.render_sentence(s, f, priority=PRERENDER) for s, f in jobs),
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            log.warning("tts prerender: %d of %d sentences failed: %s", len(failures), len(jobs), failures[0])
        return self.synthesized - before

    def cache_share(self) -> float:
        """The share of spoken audio served from a cache (1.0 before anything was spoken)."""
        total = self.audio_ms["cache"] + self.audio_ms["live"]
        return self.audio_ms["cache"] / total if total else 1.0

    def stats(self) -> dict[str, int]:
        return {
            "synthesized": self.synthesized,
            "cache_hits_memory": self.cache.hits_memory,
            "cache_hits_disk": self.cache.hits_disk,
            "cache_misses": self.cache.misses,
        }
