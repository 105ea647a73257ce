"""`voicebot bench tts --intelligibility`: how well a listener understands each installed voice.

A fixed set of bot sentences (digits, money, dates, references, bank words) is spoken by every
installed engine, passed through the phone path (8 kHz G.711 mu-law, as a caller hears it)
and transcribed by the best installed recognizer, standing in for a listener. The judge's word
error rate per voice sits beside first audio, engine CPU per second of audio, the measured
peak and speech RMS, and how much of the fixed lines is pre-rendered for that voice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

SENTENCES = [
    "Thank you for calling Harbour Bank. How can I help you today?",
    "Your complaint reference is CMP-2024-00123.",
    "Your card ending in 4821 has been frozen, so no new payments can be made with it.",
    "A payment of $1,250.75 was taken from your account on March 4th, 2025.",
    "Please say your account number, one digit at a time.",
    "For your security, never share your PIN or your online banking passcode.",
    "If your card was lost or stolen, I can block it for you right away.",
    "To check who I am speaking to, please tell me your date of birth.",
    "International transfers usually arrive within 3-5 working days.",
    "We will call you back on 555-201-7788 before 5:30 pm.",
    "Your overdraft limit is $500, and the interest rate is 19.9%.",
    "I'm connecting you to a colleague in our fraud team now.",
]
JUDGES = ("whisper-base", "whisper-small.en", "whisper-tiny.en", "moonshine-base")


def load_judge(models_dir: Path) -> tuple[str, Any]:
    """The best installed recognizer (Whisper base first) and its decoder."""
    from stt.neural_models import MODELS, load_final_decoder
    from stt.recognizer import RecognizerError

    reasons = []
    for name in JUDGES:
        if name not in MODELS:
            continue
        try:
            return name, load_final_decoder(name, models_dir, threads=2)  # as the bot runs it
        except RecognizerError as exc:
            reasons.append(f"{name}: {exc}")
    raise RuntimeError("no neural recognizer is installed to judge with: " + "; ".join(reasons))


def spoken_words(text: str) -> str:
    """`text` as comparable words: read by the bot's normaliser, then lower-cased and bare
    (used for the sentence and for what the judge wrote)."""
    from stt.text import expand_contractions, normalise
    from tts.normalize import Normalizer

    # "I'm" and "I am" are one thing said two ways: both sides are expanded.
    words = normalise(expand_contractions(Normalizer()(text).replace("-", " ")))
    # "C M P" and "CMP" are the same letters said: spelt-out runs count as one word.
    return re.sub(r"\b([a-z])\b(?: \b([a-z])\b)+", lambda m: m.group(0).replace(" ", ""), words)


def heard(decoder: Any, mulaw: bytes) -> str:
    """What the judge hears in 8 kHz mu-law audio."""
    from stt.audio import mulaw_to_pcm16, resample

    pcm = resample(mulaw_to_pcm16(mulaw), 8000, 16000)
    audio = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
    return decoder.transcribe(audio).text


def installed_voices(settings: Any) -> list[Any]:
    """VoiceParams for every engine whose voice is installed here."""
    from tts.engines import ENGINES
    from tts.synthesizer import VoiceParams
    from tts.voices import voice_problem

    voices = []
    for engine in ENGINES:
        params = VoiceParams.from_settings(settings.tts.copy(update={"engine": engine}))
        if voice_problem(engine, params.voice) is None:
            voices.append(params)
    return voices


def prerendered_share(settings: Any, voice: Any) -> float:
    """Share of the fixed sentences whose phone audio is in the pre-rendered store for `voice`."""
    from bot.call.fixed_lines import fixed_sentences, fixed_texts
    from tts.cache import cache_key
    from tts.normalize import Normalizer
    from tts.sentences import split_sentences

    normalizer = Normalizer(settings.tts.date_order)
    sentences = fixed_sentences(fixed_texts(settings), lambda t: split_sentences(
        normalizer(t), settings.tts.first_chunk_max_words))
    store = settings.path(settings.tts.prerendered_dir)
    found = sum((store / k[:2] / f"{k}.audio").is_file()
                for k in (cache_key(voice, "mulaw8k", s) for s in sentences))
    return found / len(sentences) if sentences else 0.0


async def measure_voice(voice: Any, decoder: Any, group_pause_ms: int,
                        sentences: list[str] = SENTENCES) -> dict[str, Any]:
    """Speak `sentences` with `voice` (uncached), judge them; first audio, CPU, level, WER."""
    from bot.bench.report import percentile
    from bot.bench.wer import wer
    from stt.audio import mulaw_to_pcm16
    from tts.cache import AudioCache
    from tts.phone_audio import measure
    from tts.pool import PooledSynthesizer
    from tts.service import SpeechService

    synth = PooledSynthesizer(voice, workers=1)
    service = SpeechService(synth, AudioCache(None, 0), voice, group_pause_ms=group_pause_ms)
    firsts, pairs, peaks, rmss = [], [], [], []
    async with service:
        for text in sentences:
            started = time.perf_counter()
            chunks = []
            async for chunk in service.stream(text, "mulaw8k"):
                if not chunks:
                    firsts.append((time.perf_counter() - started) * 1000)
                chunks.append(chunk)
            mulaw = b"".join(chunks)
            level = measure(mulaw_to_pcm16(mulaw), 8000)
            peaks.append(level.peak_dbfs)
            rmss.append(level.rms_dbfs)
            # Both sides read by the bot's own normaliser: "$1,250.75" written by the judge
            # and "one thousand ... cents" said by the bot are the same words.
            hypothesis = await asyncio.to_thread(heard, decoder, mulaw)
            pairs.append((spoken_words(text), spoken_words(hypothesis)))
        # Engine CPU per audio second on whole sentences, in the worker (no queue, no IPC).
        engine_s = audio_total = 0.0
        for text in sentences:
            for sentence in service.plan(text):
                audio, synth_ms = await synth.synthesize_timed(sentence, 8000)
                engine_s += synth_ms / 1000
                audio_total += audio.duration_s
    return {"engine": voice.engine, "voice": voice.voice, "wer": wer(pairs),
            "first_audio_p50_ms": percentile(firsts, 50), "first_audio_p95_ms": percentile(firsts, 95),
            "cpu_per_audio_s": engine_s / audio_total if audio_total else 0.0,
            "peak_dbfs": max(peaks), "rms_dbfs_min": min(rmss), "rms_dbfs_max": max(rmss),
            "pairs": pairs}


def run_intelligibility(settings: Any) -> tuple[list[list[Any]], dict[str, Any]]:
    """Table rows (one per installed voice) and the JSON extra with every transcript."""
    judge, decoder = load_judge(settings.path(settings.paths.models_dir))
    rows, details = [], {}
    for voice in installed_voices(settings):
        result = asyncio.run(measure_voice(voice, decoder, settings.tts.digit_group_pause_ms))
        share = prerendered_share(settings, voice)
        rows.append([f"{voice.engine} {voice.voice}", f"{result['wer']:.1%}",
                     round(result["first_audio_p50_ms"]), round(result["first_audio_p95_ms"]),
                     round(result["cpu_per_audio_s"], 3), result["peak_dbfs"],
                     f"{result['rms_dbfs_min']}..{result['rms_dbfs_max']}", f"{share:.0%}"])
        details[f"{voice.engine} {voice.voice}"] = {**result, "voice_params": dataclasses.asdict(voice),
                                                     "fixed_lines_prerendered": share}
    return rows, {"judge": judge, "sentences": SENTENCES, "voices": details,
                  "acceptance": {"best_voice_wer_max": 0.06}}


COLUMNS = ["voice", "judge's WER", "first audio p50 ms", "p95 ms", "engine CPU s / audio s",
           "peak dBFS", "speech RMS dBFS", "fixed lines pre-rendered"]
