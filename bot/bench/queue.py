"""`voicebot bench queue`: escalation queue throughput and console delay."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "queue", "escalation queue throughput and console delay", "coming with the Escalation issue")
