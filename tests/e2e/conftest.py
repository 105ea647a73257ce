"""A real `voicebot serve` for whole calls: trained model, real recognizer, real synthesis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServerProcess

E2E_ENV = {
    "VOICEBOT_STT__NO_INPUT_TIMEOUT_S": "4",
    "VOICEBOT_ESCALATION__BUSINESS_HOURS": "Mon-Sun 00:00-24:00",
}


def start_e2e_server(tmp: Path, env: dict[str, str] | None = None) -> ServerProcess:
    """A real server with the e2e settings (plus `env`), once /readyz answers."""
    server = ServerProcess({**E2E_ENV, **(env or {})}, tmp).start("/readyz", timeout_s=180)
    server.token = server.reader_token()  # reads call records (scope calls:read)
    return server


@pytest.fixture(scope="package")
def bot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the whole e2e package (loading Rasa takes a while)."""
    server = start_e2e_server(tmp_path_factory.mktemp("e2e-server"))
    yield server
    server.stop()
