"""`voicebot transcribe FILE.wav`: partial and final transcripts of a WAV file (any common rate).

The file is cut into caller turns by the endpointer (as in a call), each turn streamed to
the recognizer in 20 ms frames (its partials), and its final transcript written by the
neural final pass as in a call (`--final`, default `stt.final_backend`); `--whole`
transcribes the file as one utterance.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("transcribe", help="transcribe a WAV file (partials and finals)")
    parser.add_argument("file", type=Path, metavar="FILE.wav")
    parser.add_argument("--backend", choices=["auto", "vosk", "pocketsphinx"],
                        help="recognizer (default: stt.backend)")
    parser.add_argument("--vosk-model", type=Path, help="vosk model directory (default: stt.vosk_model_path)")
    parser.add_argument("--generic-lm", action="store_true",
                        help="pocketsphinx: the generic language model, not the domain one")
    parser.add_argument("--final", choices=["auto", "none", "whisper-tiny.en", "whisper-base", "moonshine-base"],
                        help="final-pass model (default: stt.final_backend; none: the streaming recognizer's)")
    parser.add_argument("--whole", action="store_true", help="one utterance, no endpointing")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(func=run)


def _segments(pcm: bytes, rate: int, settings: Any, whole: bool) -> list[tuple[float, bytes]]:
    """(start_s, audio) of each caller turn."""
    from stt.audio import split_frames
    from stt.vad import Endpointer, SpeechEnded

    if whole:
        return [(0.0, pcm)]
    stt = settings.stt
    endpointer = Endpointer(
        rate, stt.vad_aggressiveness, stt.speech_start_ms, stt.end_silence_ms,
        stt.max_utterance_s, 1e9, stt.preroll_ms, stt.noise_gate_db,
    )
    frames = split_frames(pcm + b"\x00\x00" * (rate * (stt.end_silence_ms + 100) // 1000), rate, 20)
    turns = []
    for frame in frames:
        for event in endpointer.process(frame):
            if isinstance(event, SpeechEnded):
                turns.append((event.detected_at_s - len(event.audio) / 2 / rate, event.audio))
    return turns


def run(args: argparse.Namespace, settings: Any) -> int:
    from stt.adaptation import mllr_file
    from stt.audio import AudioFormatError, read_wav, to_rate
    from stt.factory import RecognizerFactory
    from stt.language_model import DEFAULT_LM_PATH
    from stt.recognizer import RecognizerError

    try:
        pcm, file_rate = read_wav(args.file)
    except FileNotFoundError:
        print(f"voicebot transcribe: {args.file}: no such file", file=sys.stderr)
        return 1
    except (AudioFormatError, OSError) as exc:
        print(f"voicebot transcribe: {exc}", file=sys.stderr)
        return 1
    backend = args.backend or settings.stt.backend
    lm = None
    if not args.generic_lm and settings.stt.domain_language_model:
        lm = settings.path(settings.stt.domain_lm_path or DEFAULT_LM_PATH)
    vosk_path = args.vosk_model or settings.path(settings.stt.vosk_model_path)
    try:
        factory = RecognizerFactory(backend, vosk_path, lm, mllr_file(settings))
    except RecognizerError as exc:
        print(f"voicebot transcribe: {exc}", file=sys.stderr)
        return 1
    rate = 16000 if file_rate >= 16000 else 8000
    pcm = to_rate(pcm, file_rate, rate)
    recognizer = factory.create(rate)
    final_model = None
    try:
        from stt.neural_models import load_final_decoder, resolve_final_model

        final_model = resolve_final_model(args.final or settings.stt.final_backend,
                                          settings.path(settings.paths.models_dir))
        if final_model is not None:
            from stt.final_pass import FinalPass
            from stt.two_pass import TwoPassRecognizer

            decoder = load_final_decoder(final_model, settings.path(settings.paths.models_dir),
                                         min_window_s=settings.stt.final_window_s)
            recognizer = TwoPassRecognizer(recognizer, FinalPass(decoder))
    except RecognizerError as exc:
        print(f"voicebot transcribe: {exc}", file=sys.stderr)
        return 1
    started = time.process_time()
    utterances = []
    for start_s, audio in _segments(pcm, rate, settings, args.whole):
        partials = []
        step = rate // 50 * 2  # 20 ms
        for i in range(0, len(audio), step):
            partial = recognizer.accept(audio[i : i + step])
            if partial is not None:
                partials.append(partial)
                if not args.json:
                    print(f"  ... {partial}", flush=True)
        transcript = recognizer.final()
        if not args.json:
            print(f"[{start_s:7.2f}s] {transcript.text}  (confidence {transcript.confidence:.2f})",
                  flush=True)
        utterances.append({
            "start_s": round(start_s, 3), "text": transcript.text,
            "confidence": round(transcript.confidence, 3),
            "words": [{"word": w.word, "start_s": round(start_s + w.start_s, 3),
                       "end_s": round(start_s + w.end_s, 3), "confidence": round(w.confidence, 3)}
                      for w in transcript.words],
            "partials": partials,
        })
    cpu_s = time.process_time() - started
    duration_s = len(pcm) / 2 / rate
    if args.json:
        print(json.dumps({
            "file": str(args.file), "sample_rate": file_rate, "duration_s": round(duration_s, 3),
            "backend": factory.backend_name, "final_model": final_model,
            "language_model": str(factory.language_model) if factory.language_model else None,
            "real_time_factor": round(cpu_s / duration_s, 3) if duration_s else None,
            "utterances": utterances,
        }, indent=2, ensure_ascii=False))
    elif not utterances:
        print("(no speech found)")
    return 0
