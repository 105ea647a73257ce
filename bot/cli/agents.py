"""`voicebot agents`: add, list and remove console agents."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "agents", "add, list and remove console agents", "coming with the Escalation issue")
