"""`voicebot bench load`: concurrent real-time callers in a loop."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "load", "concurrent real-time callers in a loop", "coming with the Hearing ourselves issue")
