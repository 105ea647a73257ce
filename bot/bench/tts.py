"""`voicebot bench tts`: time to first audio, real-time factor, throughput."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "tts", "time to first audio, real-time factor, throughput", "coming with the Speaking issue")
