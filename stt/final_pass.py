"""The neural final pass of a recognizer worker: one decoding thread, finals before guesses.

CTranslate2 and onnxruntime release the GIL while they compute, so the worker's main
thread keeps answering every call's audio (pocketsphinx partials) while a turn is decoded
here. Jobs are ordered by urgency: a final that a caller is waiting for goes before a
speculative decode started at the first pause of another call, which may yet be dropped.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

import numpy as np

from stt.audio import to_rate
from stt.recognizer import Transcript, Word
from stt.text import without_punctuation

log = logging.getLogger(__name__)

URGENT, SPECULATIVE = 0, 1
# Text "said before" the turn (Whisper's previous-text prompt) per expectation: it leans the
# model's spelling towards what the dialogue will parse. Digits are asked for as numerals,
# so "four two oh seven" arrives as "4207" (measured in `voicebot bench stt --digits`).
PROMPTS = {
    "text": None,
    "digits": "My account number is 4 7 1 0 3 9 2 8.",
    "yes_no": None,
}


class FinalDecoder(Protocol):
    """A whole-utterance recognizer (Whisper, Moonshine): float32 16 kHz audio in."""

    name: str
    sample_rate: int

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript: ...

    def alternatives(self, audio: np.ndarray, prompt: str | None = None, count: int = 5) -> list[str]:
        """Other readings of the audio, most likely first (may be none)."""


class _Job:
    __slots__ = ("priority", "run", "future", "pcm")

    def __init__(self, priority: int, run: Callable[[], Any], pcm: bytes = b"") -> None:
        self.priority = priority
        self.run = run
        self.pcm = pcm  # the audio decoded
        self.future: Future[Any] = Future()  # a Transcript, or the alternatives' texts


class FinalPass:
    """Decodes caller turns with `decoder` on one background thread, most urgent first."""

    def __init__(self, decoder: FinalDecoder) -> None:
        self.decoder = decoder
        self._heap: list[tuple[int, int, _Job]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="final-pass", daemon=True)
        self._thread.start()

    @property
    def name(self) -> str:
        return self.decoder.name

    def submit(self, pcm: bytes, rate: int, context: str, priority: int) -> _Job:
        """Queue the decoding of PCM16 `pcm` at `rate`; the job's future gives the transcript."""
        job = _Job(priority, lambda: self._decode(pcm, rate, context), pcm)
        with self._wake:
            heapq.heappush(self._heap, (priority, next(self._seq), job))
            self._wake.notify()
        return job

    def submit_alternatives(self, pcm: bytes, rate: int, context: str, count: int) -> _Job:
        """Queue a search for other readings of a turn (urgent: the caller waits); the job's
        future gives their texts, without punctuation, each once, most likely first."""
        job = _Job(URGENT, lambda: self._alternatives(pcm, rate, context, count))
        with self._wake:
            heapq.heappush(self._heap, (URGENT, next(self._seq), job))
            self._wake.notify()
        return job

    def hurry(self, job: _Job) -> None:
        """Someone now waits for `job`: move it ahead of the speculative ones."""
        with self._wake:
            if job.priority != URGENT and not job.future.done():
                job.priority = URGENT
                heapq.heappush(self._heap, (URGENT, next(self._seq), job))
                self._wake.notify()

    def decode_now(self, pcm: bytes, rate: int, context: str) -> Transcript:
        """Decode on the calling thread (tools and benchmarks)."""
        return self._decode(pcm, rate, context)

    def _decode(self, pcm: bytes, rate: int, context: str) -> Transcript:
        written = self.decoder.transcribe(_float16k(pcm, rate), PROMPTS.get(context))
        text = without_punctuation(written.text)
        words = [Word(w, 0.0, 0.0, written.confidence) for w in text.split()]
        return Transcript(text, written.confidence if words else 0.0, words)

    def _alternatives(self, pcm: bytes, rate: int, context: str, count: int) -> list[str]:
        texts = self.decoder.alternatives(_float16k(pcm, rate), PROMPTS.get(context), count)
        unique: dict[str, str] = {}
        for text in map(without_punctuation, texts):
            unique.setdefault(text.casefold(), text)
        return [t for t in unique.values() if t]

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._heap and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                _, _, job = heapq.heappop(self._heap)
            # A hurried job sits in the heap twice: its second copy finds it done. A dropped
            # speculation was cancelled and is skipped here.
            if job.future.done() or not job.future.set_running_or_notify_cancel():
                continue
            try:
                job.future.set_result(job.run())
            except BaseException as exc:  # goes to the one request that waits for it
                job.future.set_exception(exc)

    def close(self) -> None:
        with self._wake:
            self._closed = True
            for _, _, job in self._heap:
                job.future.cancel()
            self._heap.clear()
            self._wake.notify_all()


def _float16k(pcm: bytes, rate: int) -> np.ndarray:
    audio16 = to_rate(pcm, rate, 16000) if rate != 16000 else pcm
    return np.frombuffer(audio16, "<i2").astype(np.float32) / 32768.0
