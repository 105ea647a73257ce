"""`voicebot serve` refuses weak secrets on a public address; `voicebot doctor` says why."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from bot.config import load_settings
from bot.security.keys import load_server_keys
from tests.conftest import PROJECT_ROOT, VOICEBOT


def _voicebot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "VOICEBOT_PATHS__DATA_DIR": str(tmp_path / "var"), **env}
    return subprocess.run([*VOICEBOT, *args], cwd=PROJECT_ROOT, env=full, capture_output=True,
                          text=True, timeout=120)


def test_serve_on_a_public_address_with_a_weak_secret_exits_2_naming_it(tmp_path) -> None:
    for weak in ("change-me", "short"):
        done = _voicebot(tmp_path, "serve", "--host", "0.0.0.0", "--port", "1",
                         VOICEBOT_CALLS__STREAM_SECRET=weak)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "calls.stream_secret" in lines[0], lines
        assert weak not in lines[0]  # the line names the setting, not the secret


def test_doctor_warns_about_a_public_address_and_passes_a_local_one(tmp_path) -> None:
    public = _voicebot(tmp_path, "doctor", "--host", "0.0.0.0")
    assert public.returncode == 1
    warned = {line.split()[1] for line in public.stdout.splitlines() if line.startswith("WARN")}
    assert {"calls.twilio_auth_token", "escalation.cookie_secure"} <= warned, public.stdout
    local = _voicebot(tmp_path, "doctor")
    assert local.returncode == 0, local.stdout
    wide = _voicebot(tmp_path, "doctor", VOICEBOT_SERVER__METRICS_ALLOW="['0.0.0.0/0']",
                     VOICEBOT_CALLS__AUDIOSOCKET_ALLOW="['10.0.0.0/8']")
    assert "WARN  server.metrics_allow" in wide.stdout and "WARN  calls.audiosocket_allow" in wide.stdout


def test_the_server_key_is_generated_once_with_mode_0600_and_config_wins(tmp_path) -> None:
    settings = load_settings(environ={"VOICEBOT_PATHS__DATA_DIR": str(tmp_path / "var")})
    first, again = load_server_keys(settings), load_server_keys(settings)
    path = tmp_path / "var" / "server-keys.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert first.stream_key == again.stream_key == json.loads(path.read_text())["stream_key"].encode()
    assert len(first.stream_key) >= 40
    other = load_settings(environ={"VOICEBOT_PATHS__DATA_DIR": str(tmp_path / "other")})
    assert load_server_keys(other).stream_key != first.stream_key  # never a shipped default
    settings.calls.stream_secret = "configured-key-of-some-length"
    assert load_server_keys(settings).stream_key == b"configured-key-of-some-length"


def test_serve_on_a_public_address_refuses_a_weak_cluster_peer_secret(tmp_path) -> None:
    done = _voicebot(tmp_path, "serve", "--host", "0.0.0.0", "--port", "1",
                     VOICEBOT_CLUSTER__PEER_SECRET="voicebot")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cluster.peer_secret" in lines[0], lines
