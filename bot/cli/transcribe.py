"""`voicebot transcribe`: transcribe a WAV file."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "transcribe", "transcribe a WAV file", "coming with the Listening issue")
