"""`voicebot bench stt_pool`: recognition in threads (`stt.streaming.StreamingRecognizer`)
against worker processes (`stt.recognizer_pool.RecognizerPool`), with N concurrent calls
fed 20 ms frames in real time, while a 20 ms pacer on the same event loop (like the
bot's audio output) records how late it wakes.

Also run standalone: `python -m bot.bench.stt_pool --streams 1,8,16`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from bot.bench.loop_lag import FRAME_S, Pacer
from bot.bench.report import add_json_argument, emit, percentile

LATE_S = 0.04  # the bot's late-frame threshold
SENTENCES = [
    "I want to check my account balance please",
    "how do I change my address",
    "I would like to speak to a person",
    "please block my card",
]


def register(sub: Any) -> None:
    parser = sub.add_parser("stt_pool", help="recognizer threads vs worker processes under load")
    _arguments(parser)
    parser.set_defaults(func=run)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--streams", default="1,8,16", help="concurrent calls per row")
    parser.add_argument("--seconds", type=float, default=10.0, help="real-time feeding per row")
    parser.add_argument("--workers", type=int, default=2, help="pool worker processes")
    parser.add_argument("--voice", default="rms", help="flite voice of the callers")
    add_json_argument(parser)


async def _call(stream: Any, utterances: list[bytes], seconds: float, offset: float,
                finals: list[float]) -> float:
    """Feed utterances in real time for `seconds`; finals get the final's latency."""
    step = int(8000 * FRAME_S) * 2  # 8 kHz calls
    await asyncio.sleep(offset)
    start = time.monotonic()
    audio = 0.0
    n = 0
    while time.monotonic() - start < seconds:
        pcm = utterances[n % len(utterances)]
        n += 1
        for i in range(0, len(pcm), step):
            due = start + audio
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await stream.accept(pcm[i : i + step])
            audio += FRAME_S
        ended = start + audio
        await stream.final()
        finals.append(time.monotonic() - ended)
    return audio


async def _measure(streams: list[Any], utterances: list[bytes], seconds: float) -> dict[str, Any]:
    pacer, finals = Pacer(), []
    cpu, wall = time.process_time(), time.monotonic()
    pacer.start()
    audio = await asyncio.gather(*(
        _call(s, utterances[i % 4 :] + utterances[: i % 4], seconds, i * FRAME_S / len(streams), finals)
        for i, s in enumerate(streams)
    ))
    pacer.stop()
    wall = time.monotonic() - wall
    return {
        "lag_p50_ms": percentile(pacer.lags, 50) * 1000,
        "lag_p99_ms": percentile(pacer.lags, 99) * 1000,
        "lag_max_ms": max(pacer.lags) * 1000,
        "late_frames": sum(lag > LATE_S for lag in pacer.lags),
        "frames": len(pacer.lags),
        "final_p50_ms": percentile(finals, 50) * 1000,
        "final_p95_ms": percentile(finals, 95) * 1000,
        "audio_x_realtime": sum(audio) / wall,
        "main_cpu_pct": 100 * (time.process_time() - cpu) / wall,
    }


async def _bench(args: argparse.Namespace) -> dict[str, Any]:
    from bot.caller.voices import speak
    from stt.pocketsphinx_backend import PocketsphinxRecognizer
    from stt.recognizer_pool import RecognizerPool
    from stt.streaming import StreamingRecognizer

    counts = [int(c) for c in args.streams.split(",")]
    silence = bytes(int(8000 * 0.4) * 2)
    utterances = [speak(s, args.voice, 8000) + silence for s in SENTENCES]
    rows, results = [], []
    pool = await RecognizerPool.start("pocketsphinx", workers=args.workers,
                                      warm_decoders=max(counts) // args.workers + 1)
    try:
        for count in counts:
            for mode in ("threads", "pool"):
                load = os.getloadavg()[0]
                if mode == "threads":  # decoders built before the clock starts (prewarmed)
                    built = [await asyncio.to_thread(PocketsphinxRecognizer, 8000) for _ in range(count)]
                    streams: list[Any] = [StreamingRecognizer(r) for r in built]
                else:
                    streams = [await pool.open(8000) for _ in range(count)]
                result = await _measure(streams, utterances, args.seconds)
                for stream in streams:
                    await stream.close()
                result.update(mode=mode, streams=count, load_1m=load)
                results.append(result)
                rows.append([
                    mode, count, result["lag_p50_ms"], result["lag_p99_ms"], result["lag_max_ms"],
                    f"{result['late_frames']}/{result['frames']}", result["final_p50_ms"],
                    result["final_p95_ms"], result["audio_x_realtime"], result["main_cpu_pct"], load,
                ])
    finally:
        await pool.close()
    columns = ["recognition", "calls", "loop lag p50 ms", "p99 ms", "max ms", "late frames (>40 ms)",
               "final p50 ms", "final p95 ms", "audio x real time", "server CPU %", "load 1m"]
    return emit("recognizer threads vs worker processes (pocketsphinx, real-time 8 kHz calls)",
                columns, rows, args.json,
                {"results": results, "workers": args.workers, "seconds": args.seconds})


def run(args: argparse.Namespace, settings: Any = None) -> int:
    asyncio.run(_bench(args))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bot.bench.stt_pool")
    _arguments(parser)
    raise SystemExit(run(parser.parse_args()))
