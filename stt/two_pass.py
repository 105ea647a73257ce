"""Two passes over a caller's turn: pocketsphinx streams partials while the caller speaks
(barge-in needs words within a few hundred ms), and a neural model writes the turn's
final transcript (pocketsphinx gets one word in three wrong on human speakers).

None of the neural models streams, so the final pass would start only when the turn has
ended. It starts earlier instead: `speculate()` at the caller's first pause decodes the
turn so far while the endpointer waits out the end-of-speech silence; if the caller goes
on, the next pause starts a new guess and the old one is dropped.
"""

from __future__ import annotations

from concurrent.futures import Future

from stt.final_pass import SPECULATIVE, URGENT, FinalPass, _Job
from stt.recognizer import Recognizer, Transcript

MAX_TURN_S = 30.0  # audio kept for the final pass; the endpointer cuts turns long before


class TwoPassRecognizer:
    """A call's recognizer: `streaming` for partials, `final_pass` for the transcript."""

    def __init__(self, streaming: Recognizer, final_pass: FinalPass) -> None:
        self.streaming = streaming
        self.final_pass = final_pass
        self.sample_rate = streaming.sample_rate
        self._audio = bytearray()
        self._guess: _Job | None = None
        self._last_turn = b""  # the ended turn's audio, for other readings of it
        self._last_context = "text"
        self.speculation_hits = 0  # finals answered by a guess

    def accept(self, pcm: bytes) -> str | None:
        self.buffer(pcm)
        return self.streaming.accept(pcm)

    def buffer(self, pcm: bytes) -> None:
        """Keep audio for the final pass without streaming it: partials only matter for
        barge-in, while the bot speaks, and decoding them costs ~0.1 s of CPU per second."""
        if len(self._audio) < MAX_TURN_S * 2 * self.sample_rate:
            self._audio += pcm

    def speculate(self, context: str = "text") -> None:
        """Start decoding the turn so far (the caller paused); replaces an earlier guess."""
        self._drop_guess()
        if self._audio:
            self._guess = self.final_pass.submit(bytes(self._audio), self.sample_rate, context, SPECULATIVE)

    def final_async(self, context: str = "text", use_guess: bool = False) -> Future[Transcript]:
        """End the turn: the neural transcript, from the pause's guess when `use_guess` (the
        caller said nothing after it), else decoded now. The streaming decoder is only reset
        (its own final costs ~35 ms more); a failing neural pass fails the request, which the
        call turns into an apology and a person."""
        self.streaming.reset()
        job = self._guess if use_guess else None
        self._guess = None
        if job is not None and not job.future.cancelled():
            self.final_pass.hurry(job)
            self.speculation_hits += 1
        else:
            self._drop_job(job)
            job = self.final_pass.submit(bytes(self._audio), self.sample_rate, context, URGENT) if self._audio else None
        # What was decoded (the guess's audio when it stood): other readings reuse its encoding.
        self._last_turn, self._last_context = (job.pcm if job is not None else b""), context
        self._audio = bytearray()
        if job is None:
            empty: Future[Transcript] = Future()
            empty.set_result(Transcript("", 0.0, []))
            return empty
        return job.future

    def alternatives_async(self, count: int = 5) -> Future[list[str]]:
        """Other readings of the turn that ended last (none before any): the dialogue asks
        when it could not understand the transcript."""
        if not self._last_turn:
            none: Future[list[str]] = Future()
            none.set_result([])
            return none
        return self.final_pass.submit_alternatives(
            self._last_turn, self.sample_rate, self._last_context, count).future

    def final(self, context: str = "text") -> Transcript:
        """End the turn and wait for its transcript (tools, benchmarks)."""
        return self.final_async(context).result()

    def reset(self) -> None:
        self._drop_guess()
        self._audio = bytearray()
        self._last_turn = b""
        self.streaming.reset()

    def new_caller(self) -> None:
        self.reset()
        self.streaming.new_caller()

    def _drop_guess(self) -> None:
        self._drop_job(self._guess)
        self._guess = None

    @staticmethod
    def _drop_job(job: _Job | None) -> None:
        if job is not None:
            job.future.cancel()  # only a guess not yet started; a running one finishes unused
