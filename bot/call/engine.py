"""Open the dialogue engine for the server; without a trained model, calls still get a human."""

from __future__ import annotations

import logging

from bot.config import Settings
from nlu.engine import BotTurn, technical_error_turn

log = logging.getLogger(__name__)


class UnavailableEngine:
    """Stands in when no model could be loaded: every call gets an apology and a human."""

    ready = False

    def __init__(self, why: str) -> None:
        self.why = why

    def describe(self) -> str:
        return self.why

    async def handle(self, call_id: str, user_input: object) -> BotTurn:
        return technical_error_turn()  # the call says the apology (bot/call/prompts.py)

    async def unfinished_complaint(self, call_id: str) -> None:
        return None

    async def end_call(self, call_id: str) -> None:
        return None

    async def close(self) -> None:
        return None


async def open_engine(settings: Settings):
    """The Rasa engine with the newest trained model, or an UnavailableEngine saying why."""
    from nlu.engine import RasaEngine
    from nlu.training import latest_model

    model_dir = settings.path(settings.nlu.model_dir)
    model = latest_model(model_dir)
    if model is None:
        why = f"no trained model in {model_dir}: run `voicebot train` (make run does)"
        log.error("dialogue unavailable: %s", why)
        return UnavailableEngine(why)
    try:
        return await RasaEngine.load(model, timeout_s=settings.nlu.turn_timeout_s,
                                     redis_url=settings.nlu.redis_url)
    except Exception as exc:  # the server still answers calls, with an apology and a human
        why = f"could not load {model}: {exc}"
        log.error("dialogue unavailable: %s", why)
        return UnavailableEngine(why)
