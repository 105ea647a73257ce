"""Hostile Twilio and AudioSocket peers (hypothesis) against ONE real server, with a healthy
call running alongside: the server stays up, every violating connection is closed with at
most one WARNING naming it, nothing crashes, and the healthy call is answered.
The large run is `voicebot bench fuzz`.
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from collections.abc import Iterator

import aiohttp
import pytest

from bot.bench.fuzz import HealthyCall, crash_lines, fuzz_channel, warnings_per_ident
from tests.conftest import ServerProcess
from tests.e2e.conftest import start_e2e_server

pytestmark = pytest.mark.slow
EXAMPLES = 150


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_e2e_server(tmp_path_factory.mktemp("fuzz-server"),
                              {"VOICEBOT_STT__NO_INPUT_TIMEOUT_S": "20"})
    yield server
    server.stop()


async def _stalled_twilio_client(ws_url: str) -> float:
    """Connect and never say `start`: the server must hang up on its own (START_TIMEOUT_S)."""
    t0 = time.monotonic()
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url) as ws:
        msg = await ws.receive(timeout=20)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg
    return time.monotonic() - t0


def test_fuzzed_peers_do_not_hurt_the_server_or_a_healthy_call(fuzz_server) -> None:
    healthy = HealthyCall(fuzz_server.ws_url, turns=1)
    healthy.start()
    stalled: list[float] = []
    stall_thread = threading.Thread(
        target=lambda: stalled.append(asyncio.run(_stalled_twilio_client(fuzz_server.ws_url))), daemon=True)
    stall_thread.start()

    twilio = fuzz_channel("twilio", (fuzz_server.ws_url, ""), EXAMPLES, seed=6)
    audiosocket = fuzz_channel("audiosocket", ("127.0.0.1", fuzz_server.audiosocket_port), EXAMPLES, seed=6)

    healthy.join(60)
    stall_thread.join(30)
    assert not healthy.is_alive(), "the healthy call hung"
    assert healthy.greeting_s > 1.0, "the healthy caller did not hear the greeting"
    assert len(healthy.latencies_ms) == 1 and not healthy.failures, healthy.failures
    assert stalled and 5 < stalled[0] < 20, f"stalled client closed after {stalled}"
    assert twilio.cases == EXAMPLES and audiosocket.cases == EXAMPLES
    assert not twilio.hung and not audiosocket.hung

    with urllib.request.urlopen(fuzz_server.base_url + "/healthz", timeout=5) as response:
        assert response.status == 200
    log_text = fuzz_server.log()
    assert crash_lines(log_text) == []
    counts = warnings_per_ident(log_text, twilio.idents + audiosocket.idents)
    assert max(counts.values()) <= 1, {k: v for k, v in counts.items() if v > 1}
    assert sum(counts.values()) > EXAMPLES / 4  # the violations were noticed and named

