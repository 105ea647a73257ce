"""`voicebot train`: train the Rasa model when its data or config changed."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "train", "train the Rasa model when its data or config changed", "coming with the Dialogue issue")
