"""`voicebot bench stt`: word error rate and real-time factor per recognizer backend."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "stt", "word error rate and real-time factor per recognizer backend", "coming with the Listening issue")
