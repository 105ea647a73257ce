"""`voicebot calls`: list recent calls."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "calls", "list recent calls", "coming with the Phone calls issue")
