"""The speech service the call session talks to: normalise, split, cache, synthesize, stream.

`stream(text, fmt)` yields one chunk per sentence in the channel's format. Every sentence is
requested at once (first sentence at the highest priority), so the first plays while the
rest are synthesized; a cached sentence comes from memory or disk without touching a worker.
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
from tts.normalize import Normalizer
from tts.pool import Pyttsx3Synthesizer
from tts.sentences import split_sentences
from tts.synthesizer import Synthesizer, VoiceParams

log = logging.getLogger(__name__)

PRERENDER_PRIORITY = 1000  # behind every live request


class _Inflight:
    def __init__(self, task: asyncio.Task[bytes]) -> None:
        self.task = task
        self.waiters = 0


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
    ) -> None:
        self.synthesizer = synthesizer
        self.cache = cache
        self.voice = voice
        self.normalizer = normalizer or Normalizer()
        self.first_max_words = first_max_words
        self.disk_cache_max_bytes = disk_cache_max_bytes
        self._inflight: dict[str, _Inflight] = {}
        self._planner = ThreadPoolExecutor(1, thread_name_prefix="tts-plan")
        self.synthesized = 0

    @classmethod
    def from_settings(cls, tts: Any, cache_dir: Path | None) -> SpeechService:
        """Build from a `TtsSettings`-like object (voice, rate_wpm, pitch, volume, workers, ...)."""
        voice = VoiceParams(tts.voice, tts.rate_wpm, tts.pitch, tts.volume)
        synthesizer = Pyttsx3Synthesizer(
            voice, workers=tts.workers, request_timeout_s=getattr(tts, "request_timeout_s", 10.0)
        )
        max_mb = getattr(tts, "disk_cache_max_mb", 0)
        return cls(
            synthesizer,
            AudioCache(cache_dir, tts.memory_cache_items),
            voice,
            Normalizer(getattr(tts, "date_order", "mdy")),
            first_max_words=getattr(tts, "first_chunk_max_words", 10),
            disk_cache_max_bytes=max_mb * 1024 * 1024 if max_mb else None,
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
        key = cache_key(self.voice, fmt, sentence)
        data = self.cache.get_memory(key)
        if data is not None:
            return data
        # Calls asking for the same sentence at once share one synthesis; it is cancelled
        # only when every one of them has given up (e.g. all callers barged in).
        entry = self._inflight.get(key)
        if entry is None:
            task = asyncio.ensure_future(self._produce(key, sentence, fmt, priority))
            entry = self._inflight[key] = _Inflight(task)
            task.add_done_callback(lambda t: self._finished(key, t))
        entry.waiters += 1
        try:
            return await asyncio.shield(entry.task)
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
        tasks = [
            asyncio.ensure_future(self.render_sentence(s, fmt, priority=i))
            for i, s in enumerate(sentences)
        ]
        try:
            for task in tasks:
                yield await task
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:  # retrieve outcomes so none is logged as never retrieved
                with contextlib.suppress(BaseException):
                    await task

    async def synthesize(self, text: str, fmt: Fmt) -> bytes:
        """The whole reply as one piece of `fmt` audio."""
        return b"".join([chunk async for chunk in self.stream(text, fmt)])

    async def prerender(
        self, texts: Iterable[str], formats: Iterable[Fmt] = ("mulaw8k", "pcm16k")
    ) -> int:
        """Cache every sentence of `texts` ahead of time; returns how many were synthesized."""
        before = self.synthesized
        texts, formats = list(texts), [f for f in formats if f in FORMATS]
        plans = await asyncio.get_running_loop().run_in_executor(
            self._planner, lambda: [self.plan(text) for text in texts]
        )
        jobs = {(sentence, fmt) for plan in plans for sentence in plan for fmt in formats}
        results = await asyncio.gather(
            *(self.render_sentence(s, f, priority=PRERENDER_PRIORITY) for s, f in sorted(jobs)),
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            log.warning("tts prerender: %d of %d sentences failed: %s", len(failures), len(jobs), failures[0])
        return self.synthesized - before

    def stats(self) -> dict[str, int]:
        return {
            "synthesized": self.synthesized,
            "cache_hits_memory": self.cache.hits_memory,
            "cache_hits_disk": self.cache.hits_disk,
            "cache_misses": self.cache.misses,
        }
