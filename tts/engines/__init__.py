"""The speech engines a synthesis worker can run; each turns text into PCM16 at its own rate.

An engine lives in one worker process for that process's whole life (`open_engine`), is
asked for one piece of text at a time, and is closed when the worker exits.
"""

from __future__ import annotations

from typing import Any, Protocol

ENGINES = ("pyttsx3", "piper", "festival", "flite")


class Engine(Protocol):
    name: str

    def synthesize(self, text: str) -> tuple[bytes, int]:
        """PCM16 mono and its sample rate for `text`."""
        ...

    def close(self) -> None: ...


def open_engine(params: dict[str, Any]) -> Engine:
    """The warmed-up engine `params["engine"]` names, with its voice and speed applied."""
    name = params.get("engine", "pyttsx3")
    if name == "pyttsx3":
        from tts.engines.pyttsx3_engine import Pyttsx3Engine

        return Pyttsx3Engine(params)
    if name == "piper":
        from tts.engines.piper_engine import PiperEngine

        return PiperEngine(params)
    if name == "festival":
        from tts.engines.festival_engine import FestivalEngine

        return FestivalEngine(params)
    if name == "flite":
        from tts.engines.flite_engine import FliteEngine

        return FliteEngine(params)
    raise ValueError(f"unknown tts.engine {name!r}; use one of: {', '.join(ENGINES)}")
