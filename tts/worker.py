"""A synthesis worker process: one pyttsx3 engine (espeak-ng), requests on stdin, audio on stdout.

pyttsx3 is not thread-safe and espeak-ng initialises once per process, so each worker owns
exactly one engine for its whole life. Protocol (all lines UTF-8 JSON, then raw bytes):

    parent -> worker:  {"id": 1, "text": "...", "rate": 8000}\\n   ("rate": null = native)
    worker -> parent:  {"ready": true, "pid": ..., "native_rate": 22050}\\n   once, after warm-up
                       {"id": 1, "ok": true, "rate": 8000, "bytes": N, "synth_ms": 3.1}\\n + N bytes
                       {"id": 1, "ok": false, "error": "..."}\\n

Run as `python -m tts.worker '{"voice": "en-us", "rate_wpm": 175, "pitch": 50, "volume": 1.0}' [NICE]`.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
import wave
from typing import Any, BinaryIO

from stt.audio import resample


def open_engine(params: dict[str, Any]) -> Any:
    """A warmed-up pyttsx3 espeak-ng engine with the voice, rate, pitch and volume applied."""
    import pyttsx3

    engine = pyttsx3.init("espeak")
    # pyttsx3 queues property changes and reports their failures as "error" notifications.
    errors: list[BaseException] = []
    engine.connect("error", lambda **kw: errors.append(kw.get("exception") or RuntimeError("?")))
    voice = str(params.get("voice", "en-us"))
    engine.setProperty("voice", voice)
    engine.setProperty("rate", int(params.get("rate_wpm", 175)))
    engine.setProperty("volume", float(params.get("volume", 1.0)))
    engine.setProperty("pitch", int(params.get("pitch", 50)))
    synthesize(engine, "Ready.")  # applies the properties and loads the voice data
    if errors:
        if "voice" in str(errors[0]).lower():
            ids = sorted({v.id for v in engine.getProperty("voices")})
            english = [i for i in ids if i.split("/")[-1].startswith("en")][:8]
            raise ValueError(
                f"espeak-ng cannot use voice '{voice}'; try one of: {', '.join(english)} "
                "(`espeak-ng --voices` lists all; use the File column)"
            )
        raise errors[0]
    return engine


class _Finished:
    """Set by pyttsx3's "finished-utterance" notification (sent from espeak-ng's thread)."""

    def __init__(self, engine: Any) -> None:
        self.event = threading.Event()
        engine.connect("finished-utterance", lambda **kw: self.event.set())


def synthesize(engine: Any, text: str, timeout_s: float = 30.0) -> tuple[bytes, int]:
    """PCM16 and its rate for `text`; pyttsx3's save_to_file writes the WAV into memory.

    With espeak-ng, pyttsx3's runAndWait() returns after one 10 ms tick even if synthesis
    (on espeak-ng's own thread) is still going, so we also wait for "finished-utterance";
    otherwise a long or slow sentence comes back truncated, or mixed with the next one.
    And runAndWait() cancels whatever espeak-ng still reports as playing (its thread winds
    down just after that notification), whose late end event would then end *this*
    utterance with no audio: so we start only once espeak-ng is idle.
    """
    if not text.strip():
        return b"", 22050
    _wait_idle(timeout_s)
    finished = getattr(engine, "_voicebot_finished", None)
    if finished is None:
        finished = engine._voicebot_finished = _Finished(engine)
    finished.event.clear()
    buffer = io.BytesIO()
    engine.save_to_file(text, buffer)
    engine.runAndWait()
    if not finished.event.wait(timeout_s):
        raise TimeoutError(f"espeak-ng did not finish within {timeout_s:g} s")
    buffer.seek(0)
    with wave.open(buffer, "rb") as wav:
        return wav.readframes(wav.getnframes()), wav.getframerate()


def _wait_idle(timeout_s: float) -> None:
    from pyttsx3.drivers import _espeak

    deadline = time.monotonic() + timeout_s
    while _espeak.IsPlaying():
        if time.monotonic() > deadline:
            raise TimeoutError(f"espeak-ng still busy after {timeout_s:g} s")
        time.sleep(0.0005)


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
    for line in requests:
        request = json.loads(line)
        try:
            started = time.perf_counter()
            pcm, rate = synthesize(engine, request["text"])
            if not pcm and any(c.isalnum() for c in request["text"]):
                pcm, rate = synthesize(engine, request["text"])  # once more, then report it
                if not pcm:
                    raise RuntimeError("espeak-ng produced no audio")
            synth_ms = (time.perf_counter() - started) * 1000
            target = request.get("rate") or rate
            if target != rate:
                pcm, rate = resample(pcm, rate, target), target
            _reply(
                out,
                {"id": request["id"], "ok": True, "rate": rate, "bytes": len(pcm),
                 "synth_ms": round(synth_ms, 3)},
                pcm,
            )
        except TimeoutError:
            return  # the engine is in an unknown state: exit, the parent starts a new worker
        except Exception as exc:
            _reply(out, {"id": request["id"], "ok": False, "error": f"{type(exc).__name__}: {exc}"})


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
