"""`voicebot bench all`: every benchmark, one Markdown report."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "all", "every benchmark, one Markdown report", "coming with the Hearing ourselves issue")
