"""Shared test fixtures: project paths, free ports, a running `voicebot serve`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.bench import server_proc

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VOICEBOT = [sys.executable, "-m", "bot"]
# The call core on a virtual clock runs in seconds: first, so a broken core fails at once.
CORE_FIRST = ("bot/call/test_core.py", "bot/call/test_state.py", "bot/call/test_prompts.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the fast call-core tests before everything else (order otherwise unchanged)."""
    tests_dir = Path(__file__).resolve().parent
    core = {tests_dir / name for name in CORE_FIRST}
    items.sort(key=lambda item: item.path not in core)


class ServerProcess(server_proc.ServerProcess):
    """A real `voicebot serve` for tests, its data under `tmp`."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        # A test machine busy with other tests must not make the server turn calls away;
        # admission by headroom has tests of its own.
        super().__init__({"VOICEBOT_CALLS__ADMISSION": "count", **env}, tmp, cwd=PROJECT_ROOT)

    def start(self, ready_path: str = "/readyz", timeout_s: float = 180.0) -> ServerProcess:
        """Wait until it is ready; stop it and fail the test with its log if it is not."""
        try:
            self.wait_ready(ready_path, timeout_s)
        except RuntimeError as exc:
            self.stop()
            raise AssertionError(f"server did not come up ({exc}):\n{self.log()}") from None
        return self


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator:
    """Start `voicebot serve` with extra VOICEBOT_* variables; stopped at teardown."""
    started: list[ServerProcess] = []

    def start(env: dict[str, str] | None = None, ready_path: str = "/healthz",
              timeout_s: float = 120.0) -> ServerProcess:
        server = ServerProcess(env or {}, tmp_path)
        started.append(server)
        return server.start(ready_path, timeout_s)

    yield start
    for server in started:
        server.stop()
