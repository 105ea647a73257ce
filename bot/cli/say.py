"""`voicebot say "text"`: speak text the way a caller would hear it, into a WAV file.

Without --out the file goes to `<data_dir>/say/say-<format>.wav`; the command prints the
path, the duration and how the text was normalised, and plays nothing itself (use
`play FILE` from sox, or `aplay FILE`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

FORMATS = ("mulaw8k", "pcm16k")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "say",
        help="synthesize speech to a WAV file",
        description="Normalise, synthesize (pyttsx3/espeak-ng) and write TEXT as a WAV file.",
    )
    parser.add_argument("text", help='what to say, e.g. "Your balance is $12.50." ("-" reads stdin)')
    parser.add_argument("--voice", help="espeak-ng voice (default: tts.voice from the config)")
    parser.add_argument("--out", type=Path, help="WAV file to write (default: <data_dir>/say/say-FORMAT.wav)")
    parser.add_argument(
        "--format", choices=FORMATS, default="pcm16k",
        help="mulaw8k = the phone line (G.711 mu-law WAV), pcm16k = 16 kHz PCM16 (default)",
    )
    parser.add_argument("--no-cache", action="store_true", help="always synthesize, skip the cache")
    parser.set_defaults(func=run)


async def _say(args: argparse.Namespace, settings: Any) -> tuple[Path, dict[str, Any]]:
    from tts.cache import AudioCache
    from tts.formats import output_format, write_wav
    from tts.normalize import Normalizer
    from tts.pool import PooledSynthesizer
    from tts.service import SpeechService
    from tts.synthesizer import VoiceParams

    tts = settings.tts
    voice = VoiceParams.from_settings(tts)
    if args.voice:
        voice = dataclasses.replace(voice, voice=args.voice)
    cache_dir = None if args.no_cache else settings.data_path(tts.cache_dir)
    service = SpeechService(
        PooledSynthesizer(voice, workers=1, request_timeout_s=tts.request_timeout_s),
        AudioCache(cache_dir, tts.memory_cache_items),
        voice,
        Normalizer(tts.date_order),
        first_max_words=tts.first_chunk_max_words,
        group_pause_ms=tts.digit_group_pause_ms,
    )
    async with service:
        sentences = service.plan(args.text)
        started = time.perf_counter()
        first_ms = None
        chunks = []
        async for chunk in service.stream(args.text, args.format):
            if first_ms is None:
                first_ms = (time.perf_counter() - started) * 1000
            chunks.append(chunk)
    audio = b"".join(chunks)
    out = args.out or settings.path(settings.paths.data_dir) / "say" / f"say-{args.format}.wav"
    write_wav(out, audio, args.format)
    spec = output_format(args.format)
    return out, {
        "duration_s": spec.duration_ms(audio) / 1000,
        "rate": spec.sample_rate,
        "sentences": sentences,
        "first_ms": first_ms or 0.0,
        "stats": service.stats(),
    }


def run(args: argparse.Namespace, settings: Any) -> int:
    from tts.synthesizer import TtsError

    if args.text == "-":
        args.text = sys.stdin.read()
    if not args.text.strip():
        print("voicebot say: nothing to say (empty text)", file=sys.stderr)
        return 2
    try:
        out, info = asyncio.run(_say(args, settings))
    except TtsError as exc:
        print(f"voicebot say: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"voicebot say: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    if not info["sentences"]:
        print("voicebot say: the text has nothing to speak after normalisation", file=sys.stderr)
        return 2
    cached = info["stats"]["synthesized"] == 0
    print(
        f"wrote {out} ({info['duration_s']:.2f} s, {args.format}, {info['rate']} Hz, "
        f"{len(info['sentences'])} sentence(s), first audio {info['first_ms']:.0f} ms"
        f"{', from cache' if cached else ''})"
    )
    for sentence in info["sentences"]:
        print(f"  said: {sentence}")
    return 0
