"""`voicebot bench latency`: response latency per turn with N concurrent real-time calls.

Each call is a real-time Twilio caller: it hears the greeting, asks FAQ questions in a
synthetic voice, and times every reply from the end of its own speech to the bot's first
audio frame. Reported as measured and minus the configured end-of-speech silence (the floor
no bot can beat), with server CPU and memory per call.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from bot.bench.report import add_json_argument, emit, percentile
from bot.bench.server_proc import BenchServer
from bot.config import Settings

QUESTIONS = [
    "what exchange rate do you use",
    "my new card has not arrived yet",
    "how long does a transfer take",
    "can i get a refund for this item",
    "how do i top up my account",
    "why was i charged a fee",
]
VOICES = ["rms", "kal", "awb", "slt"]


def register(sub: Any) -> None:
    parser = sub.add_parser("latency", help="response latency per turn under concurrent calls",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", default="1,10,20", help="concurrent calls per round (default 1,10,20)")
    parser.add_argument("--turns", type=int, default=3, help="questions per call (default 3)")
    parser.add_argument("--url", help="use a running bot's Twilio URL instead of starting one")
    add_json_argument(parser)
    parser.set_defaults(func=run)


async def one_call(url: str, index: int, turns: int) -> dict[str, Any]:
    from bot.caller.twilio_client import TwilioCaller
    from bot.caller.voices import speak

    latencies: list[float] = []
    errors = 0
    voice = VOICES[index % len(VOICES)]
    audio = [await asyncio.to_thread(speak, QUESTIONS[(index + t) % len(QUESTIONS)], voice)
             for t in range(turns)]
    await asyncio.sleep(index * 0.35)  # stagger, as real calls arrive
    async with TwilioCaller(url) as call:
        if (await call.listen(timeout_s=30)).duration_s <= 0:
            errors += 1
        for pcm in audio:
            await call.say_pcm(pcm)
            reply = await call.listen(timeout_s=30)
            if reply.latency_ms is None:
                errors += 1
            else:
                latencies.append(reply.latency_ms)
        return {"latencies": latencies, "errors": errors, "late_frames": call.log.late_frames}


async def run_round(url: str, calls: int, turns: int) -> dict[str, Any]:
    results = await asyncio.gather(*(one_call(url, i, turns) for i in range(calls)),
                                   return_exceptions=True)
    latencies = [x for r in results if isinstance(r, dict) for x in r["latencies"]]
    failed = sum(1 for r in results if not isinstance(r, dict))
    return {"latencies": latencies,
            "errors": failed + sum(r["errors"] for r in results if isinstance(r, dict)),
            "caller_late_frames": sum(r["late_frames"] for r in results if isinstance(r, dict))}


def server_late_frames(base_url: str) -> float:
    """The server's count of audio frames sent more than 40 ms late (from /metrics)."""
    return server_counter(base_url, "voicebot_late_audio_frames_total")


def server_counter(base_url: str, name: str) -> float:
    """One unlabelled counter of the server's /metrics."""
    import urllib.request

    with urllib.request.urlopen(base_url + "/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
    return 0.0


def run(args: argparse.Namespace, settings: Settings) -> int:
    rounds = [int(n) for n in args.calls.split(",") if n.strip()]
    server = None
    url = args.url
    if not url:
        server = BenchServer()
        server.wait_ready()
        url = server.ws_url
    silence = settings.stt.end_silence_ms
    rows, raw = [], []
    try:
        for calls in rounds:
            cpu0, t0 = (server.cpu_seconds(), time.monotonic()) if server else (0.0, time.monotonic())
            late0 = server_late_frames(server.base_url) if server else 0.0
            result = asyncio.run(run_round(url, calls, args.turns))
            wall = time.monotonic() - t0
            lat = result["latencies"]
            cpu_per_call = ((server.cpu_seconds() - cpu0) / wall / calls * 100) if server else float("nan")
            late = (server_late_frames(server.base_url) - late0) if server else float("nan")
            row = [calls, len(lat), percentile(lat, 50), percentile(lat, 95),
                   percentile(lat, 50) - silence, percentile(lat, 95) - silence,
                   late, result["caller_late_frames"], cpu_per_call,
                   server.rss_mb() if server else float("nan"), result["errors"]]
            rows.append(row)
            raw.append({"calls": calls, **result})
            print(f"  {calls} calls: p95 {row[3]:.0f} ms", flush=True)
    finally:
        if server:
            server.stop()
    emit("Response latency (end of caller speech -> first bot audio)",
         ["calls", "turns", "p50 ms", "p95 ms", "p50 - silence", "p95 - silence",
          "late frames (bot)", "late frames (callers)", "CPU % per call", "RSS MB", "errors"],
         rows, args.json, {"end_silence_ms": silence, "raw": raw})
    return 0
