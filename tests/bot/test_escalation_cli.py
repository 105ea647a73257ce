"""`voicebot agents` and `voicebot bench queue` as a user runs them (real processes, real stores)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def voicebot(*args: str, tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VOICEBOT_ESCALATION__SQLITE_PATH": str(tmp_path / "esc.sqlite3"),
           "VOICEBOT_PATHS__DATA_DIR": str(tmp_path / "var")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=120)


def test_agents_add_list_remove(tmp_path: Path):
    added = voicebot("agents", "add", "alice", "--name", "Alice A", "--skills", "french,cards",
                     tmp_path=tmp_path, stdin="alice-password\n")
    assert added.returncode == 0 and added.stdout.strip() == "added agent alice"
    sup = voicebot("agents", "add", "sue", "--role", "supervisor", tmp_path=tmp_path, stdin="sue-password\n")
    assert sup.returncode == 0
    dup = voicebot("agents", "add", "alice", tmp_path=tmp_path, stdin="alice-password\n")
    assert dup.returncode == 1 and dup.stderr.strip() == "voicebot agents: agent 'alice' exists already"
    short = voicebot("agents", "add", "bob", tmp_path=tmp_path, stdin="short\n")
    assert short.returncode == 1 and "at least 8 characters" in short.stderr and "Traceback" not in short.stderr
    listed = voicebot("agents", "list", tmp_path=tmp_path).stdout.splitlines()
    assert [line.split()[:3] for line in listed] == [["alice", "agent", "offline"], ["sue", "supervisor", "offline"]]
    assert "french,cards" in listed[0] and "alice-password" not in (tmp_path / "esc.sqlite3").read_bytes().decode("latin1")
    assert voicebot("agents", "remove", "sue", tmp_path=tmp_path).returncode == 0
    gone = voicebot("agents", "remove", "sue", tmp_path=tmp_path)
    assert gone.returncode == 1 and gone.stderr.strip() == "voicebot agents: no agent 'sue'"
    assert [ln.split()[0] for ln in voicebot("agents", "list", tmp_path=tmp_path).stdout.splitlines()] == ["alice"]


def test_bench_queue_small_run_writes_json(tmp_path: Path):
    out = tmp_path / "queue.json"
    result = voicebot("bench", "queue", "--waiting", "20", "--consoles", "2", "--samples", "5",
                      "--json", str(out), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(out.read_text())
    assert [r["store"] for r in data["results"]] == ["sqlite", "redis"]
    for r in data["results"]:
        assert r["delay_ms"]["n"] == 10 and r["enqueue_per_s"] > 0 and r["accept_per_s"] > 0
        assert r["waiting_at_end"] == 25
    assert "| sqlite" in result.stdout and "| redis" in result.stdout
