"""`voicebot call`: dial a running bot over the Twilio protocol and speak turns."""

from __future__ import annotations

from typing import Any

from bot.cli.placeholder import register_placeholder


def register(sub: Any) -> None:
    register_placeholder(sub, "call", "dial a running bot over the Twilio protocol and speak turns", "coming with the Phone calls issue")
