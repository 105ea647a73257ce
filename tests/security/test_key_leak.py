"""A whole real call (webhook, stream, record read): the server key shows in no HTTP response
and no log line."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from bot.caller.twilio_client import TwilioCaller
from bot.caller.voices import speak
from tests.e2e.conftest import start_e2e_server

pytestmark = pytest.mark.slow


async def test_server_keys_never_leave_the_server(tmp_path: Path) -> None:
    server = start_e2e_server(tmp_path, {"VOICEBOT_LOGGING__LEVEL": "DEBUG"})
    try:
        keys_file = tmp_path / "var" / "server-keys.json"
        assert keys_file.stat().st_mode & 0o777 == 0o600
        key = json.loads(keys_file.read_text())["stream_key"]
        bodies: list[str] = []
        async with TwilioCaller(server.ws_url) as call:
            await call.listen(timeout_s=30)
            await call.say_pcm(speak("what exchange rate do you use", "rms"))
            await call.listen(timeout_s=30)
            call_id = call.log.call_sid
        bodies += [json.dumps(e) for e in call.log.events]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            for path in ("/healthz", "/readyz", "/metrics", "/browser", "/console", f"/calls/{call_id}"):
                async with http.get(server.base_url + path,
                                    headers={"Authorization": f"Bearer {server.token}"}) as resp:
                    bodies.append(await resp.text() + str(dict(resp.headers)))
        assert all(key not in body for body in bodies)
        log_text = server.log()
        assert "call ended" in log_text or call_id in log_text
        assert key not in log_text
        assert server.token not in log_text  # API tokens are not logged either
    finally:
        server.stop()
