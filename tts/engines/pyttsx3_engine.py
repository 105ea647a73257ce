"""espeak-ng through pyttsx3: the embedded default voice (fast, robotic)."""

from __future__ import annotations

import io
import threading
import time
import wave
from typing import Any


def open_pyttsx3(params: dict[str, Any]) -> Any:
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



class Pyttsx3Engine:
    """One pyttsx3 engine; `params["rate_wpm"]` is its speaking rate."""

    name = "pyttsx3"

    def __init__(self, params: dict[str, Any]) -> None:
        self._engine = open_pyttsx3(params)

    def synthesize(self, text: str) -> tuple[bytes, int]:
        pcm, rate = synthesize(self._engine, text)
        if not pcm and any(c.isalnum() for c in text):
            pcm, rate = synthesize(self._engine, text)  # once more, then report it
            if not pcm:
                raise RuntimeError("espeak-ng produced no audio")
        return pcm, rate

    def close(self) -> None:
        pass
