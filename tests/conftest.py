"""Shared test fixtures: project paths, free ports, a running `voicebot serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.bench.server_proc import stop_process

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VOICEBOT = [sys.executable, "-m", "bot"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout_s: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until `url` answers 200; give up early if `proc` (the server) has exited."""
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise TimeoutError(f"the server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


class ServerProcess:
    """A real `voicebot serve` subprocess on a free loopback port."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.port = free_port()
        self.audiosocket_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "server.log"
        full_env = {
            **os.environ,
            "VOICEBOT_PATHS__DATA_DIR": str(tmp / "var"),
            "VOICEBOT_CALLS__AUDIOSOCKET_PORT": str(self.audiosocket_port),
            # A test machine busy with other tests must not make the server turn calls
            # away; admission by headroom has tests of its own.
            "VOICEBOT_CALLS__ADMISSION": "count",
            **env,
        }
        self.env = full_env
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [*VOICEBOT, "serve", "--port", str(self.port)],
            cwd=PROJECT_ROOT, env=full_env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def make_token(self, name: str, *scopes: str) -> str:
        """An API token in this server's store, as `voicebot tokens add` makes one."""
        import asyncio

        from bot.caller.api_token import make_token
        from bot.config import load_settings

        settings = load_settings(environ=self.env)
        coro = make_token(settings, name, list(scopes or ("calls:read",)))
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coro)
        import concurrent.futures  # called from a running loop (async test): use a thread

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coro).result()

    def reader_token(self) -> str:
        """One calls:read token for this server, made on first use."""
        if not getattr(self, "_reader_token", ""):
            self._reader_token = self.make_token("tests-reader")
        return self._reader_token

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        returncode = stop_process(self.proc)
        self._log.close()
        return returncode


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator:
    """Start `voicebot serve` with extra VOICEBOT_* variables; stopped at teardown."""
    started: list[ServerProcess] = []

    def start(env: dict[str, str] | None = None, ready_path: str = "/healthz",
              timeout_s: float = 120.0) -> ServerProcess:
        server = ServerProcess(env or {}, tmp_path)
        started.append(server)
        try:
            wait_for_http(server.base_url + ready_path, timeout_s, server.proc)
        except TimeoutError:
            server.stop()
            raise AssertionError(f"server did not come up:\n{server.log()}") from None
        return server

    yield start
    for server in started:
        server.stop()
