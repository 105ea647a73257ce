"""`voicebot validate`: check the Rasa training data and the spoken answers."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "validate", "check the Rasa training data and the spoken answers", "coming with the Dialogue issue")
