"""`voicebot test`: run the Rasa NLU and story tests."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "test", "run the Rasa NLU and story tests", "coming with the Dialogue issue")
