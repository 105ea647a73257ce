"""`voicebot bench nlu`: Banking77 and CLINC150 accuracy, training time, inference latency."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "nlu", "Banking77 and CLINC150 accuracy, training time, inference latency", "coming with the Dialogue issue")
