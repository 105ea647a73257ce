"""`voicebot bench vad`: utterance detection and end-of-speech delay."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "vad", "utterance detection and end-of-speech delay", "coming with the Listening issue")
