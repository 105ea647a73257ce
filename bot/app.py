"""Assemble the running bot: the aiohttp application with every component it owns."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.server import create_app


def build_application(settings: Settings) -> web.Application:
    """The full application for `voicebot serve` (components are added as issues land)."""
    return create_app(settings, components=[])
