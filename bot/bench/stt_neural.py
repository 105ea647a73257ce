"""The neural final-pass models in `voicebot bench stt`: a whole-utterance decoder behind
the streaming interface the benchmark feeds, and the final transcript's delay after the end
of speech, measured through a real recognizer pool as calls use it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

FRAME = 320  # 20 ms at 8 kHz, in bytes


class WholeUtterance:
    """Buffers a turn and decodes it at `final()` with a neural model (`context` is what
    the dialogue expects: text, digits or yes_no)."""

    def __init__(self, name: str, models_dir: Path, window_s: float) -> None:
        from stt.final_pass import FinalPass
        from stt.neural_models import load_final_decoder

        self.final_pass = FinalPass(load_final_decoder(name, models_dir, min_window_s=window_s))
        self.context = "text"
        self.sample_rate = 8000
        self._audio = bytearray()

    def accept(self, pcm: bytes) -> None:
        self._audio += pcm

    def final(self) -> Any:
        audio, self._audio = bytes(self._audio), bytearray()
        return self.final_pass.decode_now(audio, self.sample_rate, self.context)

    def reset(self) -> None:
        self._audio = bytearray()

    def new_caller(self) -> None:
        self.reset()


async def _delays(pool: Any, items: list[bytes], settings: Any) -> list[float]:
    """Seconds from the end of speech being detected to the final transcript, per item.

    Speech is fed as fast as the worker takes it; from the first pause on, audio goes at
    real time, as on a call, so the speculative decode has only the time a caller gives it.
    """
    from stt.audio import AudioFrame
    from stt.speculation import PauseGuess
    from stt.vad import Endpointer, SpeechEnded

    stt = settings.stt
    stream = await pool.open(8000)
    delays = []
    try:
        for pcm in items:
            endpointer = Endpointer(8000, stt.vad_aggressiveness, stt.speech_start_ms,
                                    stt.end_silence_ms, preroll_ms=stt.preroll_ms)
            padded = pcm + bytes(int(8000 * (stt.end_silence_ms + 400) / 1000) * 2)
            guess, paused = PauseGuess(stt.speculate_after_ms), False  # the call's rule
            for i in range(0, len(padded), FRAME):
                frame = padded[i : i + FRAME]
                events = endpointer.process(AudioFrame(frame, 8000))
                ended = next((e for e in events if isinstance(e, SpeechEnded)), None)
                if ended is not None:
                    started = time.perf_counter()
                    await stream.final("text", guess.turn_ended(ended.truncated))
                    delays.append(time.perf_counter() - started)
                    break
                if endpointer.in_speech:
                    await stream.accept(frame)
                    if guess.on_speech(endpointer.silent_ms):
                        await stream.speculate("text")
                        paused = True
                if paused:
                    await asyncio.sleep(0.02)
            else:
                await stream.reset()
    finally:
        await stream.close()
    return delays


def measure_delay(name: str, settings: Any, items: list[bytes]) -> dict[str, Any]:
    """Final-transcript delay (p50/p95 ms) and the worker's memory, for the final-pass
    model `name` ("pocketsphinx": no neural pass) in a one-worker pool."""
    import psutil

    from bot.bench.report import percentile
    from bot.services_factory import _domain_lm
    from stt.adaptation import mllr_file
    from stt.recognizer_pool import RecognizerPool

    async def run() -> dict[str, Any]:
        pool = await RecognizerPool.start(
            "pocketsphinx", domain_lm_path=_domain_lm(settings), workers=1, warm_decoders=1,
            mllr_path=mllr_file(settings), final_model=None if name == "pocketsphinx" else name,
            models_dir=settings.path(settings.paths.models_dir),
            final_window_s=settings.stt.final_window_s)
        try:
            delays = await _delays(pool, items, settings)
            rss = sum(psutil.Process(pid).memory_info().rss for pid in pool.worker_pids)
        finally:
            await pool.close()
        return {"delay_p50_ms": percentile(delays, 50) * 1000,
                "delay_p95_ms": percentile(delays, 95) * 1000,
                "delay_n": len(delays), "worker_rss_mb": rss / 2**20}

    return asyncio.run(run())
