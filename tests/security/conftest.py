"""A real bot application on a real socket, with its real escalation store and call records
(no speech or dialogue: these tests never get as far as a call's audio)."""

from __future__ import annotations

import contextlib
import socket
import types
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.app import build_application
from bot.bench.server_proc import free_port
from bot.call.records import CallRecords
from bot.call.services import SERVICES
from bot.config import Settings, load_settings
from bot.server import app_runner
from escalation.services import EscalationServices
from escalation.web import SERVICES_KEY as ESCALATION_KEY

TWILIO_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
PASSWORD = "correct horse battery"
USERS = {"sam": "supervisor", "alan": "agent", "dee": "designer"}


def outside_address() -> str | None:
    """This machine's non-loopback IPv4 address: connecting to it is not a loopback peer."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent; this only picks the route
        address = probe.getsockname()[0]
        if not address.startswith("127."):
            return address
    return None


@dataclass
class Bot:
    app: web.Application
    settings: Settings
    port: int
    services: EscalationServices
    records: CallRecords

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def outside_url(self) -> str:
        address = outside_address()
        if address is None:
            pytest.skip("no non-loopback address on this machine")
        return f"http://{address}:{self.port}"

    async def login(self, http: aiohttp.ClientSession, username: str, base: str | None = None) -> str:
        """Log `http` in; the CSRF token."""
        resp = await http.post((base or self.url) + "/api/login",
                               json={"username": username, "password": PASSWORD})
        assert resp.status == 200, await resp.text()
        return (await resp.json())["csrf"]


def bot_settings(tmp_path: Path, **env: str) -> Settings:
    return load_settings(environ={
        "VOICEBOT_PATHS__DATA_DIR": str(tmp_path / "var"),
        "VOICEBOT_CALLS__TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "VOICEBOT_CALLS__AUDIOSOCKET_PORT": "0",
        "VOICEBOT_ESCALATION__BUSINESS_HOURS": "always",
        **{f"VOICEBOT_{k.upper()}": v for k, v in env.items()},
    })


@contextlib.asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[Bot]:
    app = build_application(settings)
    holder: dict = {}

    async def stores(app: web.Application) -> AsyncIterator[None]:
        records = await CallRecords(settings.path(settings.paths.data_dir) / "calls.db").open()
        services = await EscalationServices.open_from_settings(settings, start_sweeper=False)
        # No speech stack here: the webhook's admission check admits every call.
        app[SERVICES] = types.SimpleNamespace(records=records, escalation=services,
                                              refusal=lambda in_progress: None)
        app[ESCALATION_KEY] = services
        holder.update(records=records, services=services)
        yield
        await services.close()
        await records.close()

    app.cleanup_ctx.clear()  # the speech and dialogue components: not needed here
    app.cleanup_ctx.append(stores)
    runner = app_runner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    try:
        for name, role in USERS.items():
            await holder["services"].agents.add(name, PASSWORD, role)
        yield Bot(app, settings, port, holder["services"], holder["records"])
    finally:
        await runner.cleanup()


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(bot_settings(tmp_path)) as running:
        yield running
