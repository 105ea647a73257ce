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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BenchServer:
    """A server subprocess on free loopback ports, with its own data directory."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.secret = ""  # an API token (calls:read) for this server, made once it is ready
        self.tmp = tempfile.TemporaryDirectory(prefix="voicebot-bench-")
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/twilio/media"
        self.log_path = Path(self.tmp.name) / "server.log"
        full_env = {**os.environ, "VOICEBOT_PATHS__DATA_DIR": str(Path(self.tmp.name) / "var"),
                    "VOICEBOT_CALLS__AUDIOSOCKET_PORT": str(free_port()),
                    "VOICEBOT_ESCALATION__BUSINESS_HOURS": "Mon-Sun 00:00-24:00", **(env or {})}
        self.env = full_env
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(self.port)],
                                     env=full_env, stdout=self._log, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)

    def wait_ready(self, timeout_s: float = 240.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.base_url + "/readyz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not become ready")
        self.secret = self.make_token("bench")

    def make_token(self, name: str, scopes: tuple[str, ...] = ("calls:read",)) -> str:
        """An API token in this server's own store (as `voicebot tokens add` would make)."""
        import asyncio

        from bot.caller.api_token import make_token
        from bot.config import load_settings

        return asyncio.run(make_token(load_settings(environ=self.env), name, list(scopes)))

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.ps)

    def rss_mb(self) -> float:
        return tree_rss_bytes(self.ps) / 1024 / 1024

    def stop(self) -> None:
        stop_process(self.proc)
        self._log.close()
        self.tmp.cleanup()


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
