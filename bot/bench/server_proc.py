"""Start a real `voicebot serve` for a benchmark (or use --url), and watch its CPU and memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A real `voicebot serve` subprocess on free loopback ports, with its own data directory
    (`directory`, else a temporary one removed at `stop`) and extra VOICEBOT_* in `env`."""

    def __init__(self, env: dict[str, str] | None = None, directory: Path | None = None,
                 cwd: Path | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.audiosocket_port = free_port()
        self._tmp = None if directory else tempfile.TemporaryDirectory(prefix="voicebot-server-")
        self.directory = directory or Path(self._tmp.name)  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/twilio/media"
        self.log_path = self.directory / "server.log"
        self.env = {**os.environ, "VOICEBOT_PATHS__DATA_DIR": str(self.directory / "var"),
                    "VOICEBOT_CALLS__AUDIOSOCKET_PORT": str(self.audiosocket_port), **(env or {})}
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(self.port)],
                                     cwd=cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)

    def wait_ready(self, path: str = "/readyz", timeout_s: float = 240.0) -> None:
        """Wait until `path` answers 200; RuntimeError if the server exits or is too slow."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with status {self.proc.returncode}: "
                                   f"{self.log()[-2000:]}")
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not answer {path} within {timeout_s:g} s")

    def make_token(self, name: str, *scopes: str) -> str:
        """An API token in this server's own store, as `voicebot tokens add` makes one
        (scope calls:read unless `scopes` say otherwise)."""
        import asyncio

        from bot.caller.api_token import make_token
        from bot.config import load_settings

        coro = make_token(load_settings(environ=self.env), name, list(scopes or ("calls:read",)))
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

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.ps)

    def rss_mb(self) -> float:
        return tree_rss_bytes(self.ps) / 1024 / 1024

    def stop(self) -> int:
        """Stop the server (it drains its calls first); its exit status."""
        returncode = stop_process(self.proc)
        self._log.close()
        if self._tmp is not None:
            self._tmp.cleanup()
        return returncode


class BenchServer(ServerProcess):
    """A server for a benchmark: open hours, and an API token (calls:read) once it is ready."""

    def __init__(self, env: dict[str, str] | None = None, port: int | None = None) -> None:
        super().__init__({"VOICEBOT_ESCALATION__BUSINESS_HOURS": "Mon-Sun 00:00-24:00", **(env or {})},
                         port=port)
        self.secret = ""

    def wait_ready(self, path: str = "/readyz", timeout_s: float = 240.0) -> None:
        super().wait_ready(path, timeout_s)
        self.secret = self.make_token("bench")


def stop_process(proc: subprocess.Popen, timeout_s: float = 30.0) -> int:
    """SIGTERM (the server drains), then SIGKILL if it has not exited in `timeout_s`."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def _tree(process: psutil.Process) -> list[psutil.Process]:
    """A process and its live children (recognition and synthesis run in child processes)."""
    try:
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_cpu_seconds(process: psutil.Process) -> float:
    """CPU seconds (user + system) of a process and its live children."""
    total = 0.0
    for proc in _tree(process):
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            continue
    return total


def tree_rss_bytes(process: psutil.Process) -> int:
    """Resident memory of a process and its live children."""
    total = 0
    for proc in _tree(process):
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total
