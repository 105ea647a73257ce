"""`voicebot chat`: talk to the bot in the terminal."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "chat", "talk to the bot in the terminal", "coming with the Dialogue issue")
