"""`voicebot bench latency`: response latency per turn under concurrent calls."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "latency", "response latency per turn under concurrent calls", "coming with the Phone calls issue")
