"""A synthesis worker process: one speech engine, requests on stdin, audio on stdout.

Engines are not thread-safe and load their voice once per process (espeak-ng, an onnx
model, a Festival process), so each worker owns exactly one engine for its whole life.
Every engine's audio leaves here the same way: resampled to the requested rate,
band-limited for 8 kHz and levelled (`tts/phone_audio.py`).
Protocol (all lines UTF-8 JSON, then raw bytes):

    parent -> worker:  {"id": 1, "text": "...", "rate": 8000}\\n   ("rate": null = native)
    worker -> parent:  {"ready": true, "pid": ..., "native_rate": 22050}\\n   once, after warm-up
                       {"id": 1, "ok": true, "rate": 8000, "bytes": N, "synth_ms": 3.1}\\n + N bytes
                       {"id": 1, "ok": false, "error": "..."}\\n

Run as `python -m tts.worker '{"engine": "pyttsx3", "voice": "en-us", "rate_wpm": 175, ...}' [NICE]`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import OrderedDict
from typing import Any, BinaryIO

from tts.engines import Engine
from tts.engines import open_engine as _open_engine
from tts.phone_audio import condition

_RECENT = 8  # texts whose engine audio is kept: pre-rendering asks for each in 2-3 formats


def open_engine(params: dict[str, Any]) -> Engine:
    """The engine `params` describe, warmed up."""
    return _open_engine(params)


def synthesize(engine: Engine, text: str) -> tuple[bytes, int]:
    """The engine's PCM16 and its rate for `text`."""
    return engine.synthesize(text)


def _reply(out: BinaryIO, header: dict[str, Any], payload: bytes = b"") -> None:
    out.write(json.dumps(header).encode() + b"\n")
    if payload:
        out.write(payload)
    out.flush()


def serve(params: dict[str, Any], requests: BinaryIO, out: BinaryIO) -> None:
    """Answer requests until stdin closes (the parent went away)."""
    try:
        engine = open_engine(params)
        _, native_rate = synthesize(engine, "Ready.")
    except Exception as exc:  # the parent shows this line to the operator
        _reply(out, {"ready": False, "error": str(exc) or type(exc).__name__})
        return
    _reply(out, {"ready": True, "pid": os.getpid(), "native_rate": native_rate})
    level = float(params.get("level_dbfs", -20.0))
    volume = float(params.get("volume", 1.0))
    recent: OrderedDict[str, tuple[bytes, int]] = OrderedDict()
    try:
        for line in requests:
            request = json.loads(line)
            try:
                started = time.perf_counter()
                text = request["text"]
                if text in recent:
                    pcm, rate = recent[text]
                else:
                    pcm, rate = recent[text] = synthesize(engine, text)
                    while len(recent) > _RECENT:
                        recent.popitem(last=False)
                synth_ms = (time.perf_counter() - started) * 1000
                target = request.get("rate") or rate
                pcm = condition(pcm, rate, target, level, volume)
                _reply(
                    out,
                    {"id": request["id"], "ok": True, "rate": target, "bytes": len(pcm),
                     "synth_ms": round(synth_ms, 3)},
                    pcm,
                )
            except TimeoutError:
                return  # the engine is in an unknown state: exit, the parent starts a new worker
            except Exception as exc:
                _reply(out, {"id": request["id"], "ok": False, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        engine.close()


def main() -> None:
    params = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    # Synthesis is throughput work; the parent's event loop paces audio for every call, so
    # it must win the CPU when both want it.
    nice = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    if nice:
        os.nice(nice)
    out = os.fdopen(os.dup(1), "wb")
    # pyttsx3 prints "Audio saved to ..." on stdout: keep fd 1 away from the protocol.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # lives as long as the process
    serve(params, sys.stdin.buffer, out)


if __name__ == "__main__":
    main()
