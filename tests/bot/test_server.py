"""The server over a real socket: health, readiness, graceful SIGTERM shutdown."""

from __future__ import annotations

import json
import signal
import urllib.request

from aiohttp import web

from bot.config import load_settings
from bot.server import READINESS, create_app


def settings(tmp_path):
    """The defaults, with the data directory (server keys) in the test's own folder."""
    return load_settings(environ={"VOICEBOT_PATHS__DATA_DIR": str(tmp_path)})


async def test_healthz_and_readyz_over_a_real_socket(aiohttp_client, tmp_path) -> None:
    app = create_app(settings(tmp_path))
    client = await aiohttp_client(app)  # a real TCP server on 127.0.0.1
    health = await client.get("/healthz")
    assert health.status == 200
    assert (await health.json())["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["status"] == "ready"


async def test_readyz_is_503_and_names_the_failing_check(aiohttp_client, tmp_path) -> None:
    app = create_app(settings(tmp_path))

    async def model_loaded() -> tuple[bool, str]:
        return False, "no trained model in models/rasa"

    async def store_reachable() -> tuple[bool, str]:
        raise ConnectionRefusedError("redis at 127.0.0.1:6379")

    app[READINESS]["model"] = model_loaded
    app[READINESS]["store"] = store_reachable
    client = await aiohttp_client(app)
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["checks"]["model"] == {"ok": False, "detail": "no trained model in models/rasa"}
    assert "ConnectionRefusedError" in body["checks"]["store"]["detail"]


async def test_cleanup_contexts_run_at_startup_and_shutdown(aiohttp_client, tmp_path) -> None:
    events: list[str] = []

    async def component(app: web.Application):
        events.append("up")
        yield
        events.append("down")

    app = create_app(settings(tmp_path), components=[component])
    client = await aiohttp_client(app)
    assert events == ["up"]
    await client.close()
    assert events == ["up", "down"]


def test_sigterm_stops_the_server_cleanly(start_server) -> None:
    server = start_server()
    with urllib.request.urlopen(server.base_url + "/healthz", timeout=5) as response:
        assert json.load(response)["status"] == "ok"
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(30) == 0
    log = server.log()
    assert "shutting down" in log
    assert "stopped" in log
    assert "Traceback" not in log
