"""`voicebot models`: fetch and check speech models."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "models", "fetch and check speech models", "coming with the Listening issue")
