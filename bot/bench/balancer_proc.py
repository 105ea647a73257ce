"""HAProxy running the repository's deploy/haproxy.cfg in front of local bot processes, its
addresses in the environment as in production (for benchmarks and tests)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bot.bench.server_proc import PROJECT_ROOT, ServerProcess, free_port

HAPROXY_CFG = PROJECT_ROOT / "deploy" / "haproxy.cfg"


class Balancer:
    """HAProxy with deploy/haproxy.cfg, its addresses in the environment as in production."""

    def __init__(self, bots: list[ServerProcess], spare_port: int | None = None) -> None:
        """`bots` as bot1, bot2 in the configuration; with one bot, bot2 points at `spare_port`
        (nothing listens there: the balancer finds it down and sends everything to bot1)."""
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(haproxy).exists():
            raise AssertionError("haproxy is missing: make test-setup (scripts/apt-test.txt)")
        self.http_port, self.audiosocket_port = free_port(), free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="voicebot-lb-"))
        self.stats = self.directory / "stats.sock"
        env = {**os.environ, "VOICEBOT_LB_HTTP": f"127.0.0.1:{self.http_port}",
               "VOICEBOT_LB_AUDIOSOCKET": f"127.0.0.1:{self.audiosocket_port}",
               "VOICEBOT_LB_STATS": str(self.stats)}
        dead = spare_port or free_port()
        for i in (1, 2):
            bot = bots[i - 1] if i <= len(bots) else None
            env[f"VOICEBOT_BOT{i}_HTTP"] = f"127.0.0.1:{bot.port if bot else dead}"
            env[f"VOICEBOT_BOT{i}_AUDIOSOCKET"] = f"127.0.0.1:{bot.audiosocket_port if bot else dead}"
        self.log = (self.directory / "haproxy.log").open("wb")
        self.proc = subprocess.Popen([haproxy, "-db", "-f", str(HAPROXY_CFG)], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.base_url = f"http://127.0.0.1:{self.http_port}"
        self.ws_url = f"ws://127.0.0.1:{self.http_port}/twilio/media"

    def status(self, server: str) -> str:
        """UP, DOWN, ... of `server` (bot1, bot2) in the HTTP backend, from the stats socket."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.stats))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        for line in data.decode().splitlines():
            cells = line.split(",")
            if len(cells) > 17 and cells[0] == "voicebot_http" and cells[1] == server:
                return cells[17]
        return "?"

    def wait_status(self, server: str, wanted: str, timeout_s: float = 15.0) -> float:
        """Seconds until `server` is `wanted`; AssertionError if it never is."""
        start = time.monotonic()
        while time.monotonic() - start < timeout_s:
            if self.stats.exists() and self.status(server).startswith(wanted):
                return time.monotonic() - start
            time.sleep(0.1)
        raise AssertionError(f"haproxy: {server} not {wanted} within {timeout_s} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)
