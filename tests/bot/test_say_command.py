"""`voicebot say` and `voicebot bench tts` as a user runs them (real espeak-ng)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import wave
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def voicebot(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "VOICEBOT_PATHS__DATA_DIR": str(tmp / "var"),
        "VOICEBOT_TTS__CACHE_DIR": str(tmp / "cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )


def test_say_writes_a_phone_format_wav_and_tells_what_it_said(tmp_path: Path) -> None:
    out = tmp_path / "reply.wav"
    result = voicebot(tmp_path, "say", "Your balance is $12.50. Goodbye!", "--format", "mulaw8k", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    assert "said: Your balance is twelve dollars and fifty cents." in result.stdout
    data = out.read_bytes()
    tag, channels, rate = struct.unpack("<HHI", data[20:28])
    assert (tag, channels, rate) == (7, 1, 8000)  # G.711 mu-law WAV
    assert len(data) > 8000  # over a second of speech
    # The second time it comes from the cache.
    again = voicebot(tmp_path, "say", "Your balance is $12.50. Goodbye!", "--format", "mulaw8k", "--out", str(out))
    assert "from cache" in again.stdout


def test_say_default_output_is_16k_pcm_under_the_data_dir(tmp_path: Path) -> None:
    result = voicebot(tmp_path, "say", "Hello there.")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "var" / "say" / "say-pcm16k.wav"
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (16000, 2, 1)
        assert wav.getnframes() > 8000


def test_say_with_an_unknown_voice_is_one_clear_line(tmp_path: Path) -> None:
    result = voicebot(tmp_path, "say", "Hello.", "--voice", "no-such-voice")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("voicebot say: ")
    assert "cannot use voice 'no-such-voice'" in result.stderr
    assert "Traceback" not in result.stderr


def test_bench_tts_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    path = tmp_path / "tts.json"
    result = voicebot(tmp_path, "bench", "tts", "--n", "4", "--live-calls", "3", "--live-seconds", "4",
                      "--json", str(path))
    assert result.returncode == 0, result.stderr
    assert "| TTFA uncached" in result.stdout and "machine:" in result.stdout
    payload = json.loads(path.read_text())
    rows = {row[0]: row for row in payload["rows"]}
    assert rows["TTFA cached (memory LRU)"][2] < rows["TTFA uncached, whole first sentence"][2]
    assert {"throughput, 1 concurrent", "throughput, 10 concurrent", "throughput, 20 concurrent"} <= set(rows)
    # Call-like load: cached lines start from memory, and most audio came from the cache.
    for design in ("worker roles, used", "any worker takes any chunk, before"):
        assert rows[f"  first audio, cached lines, 3 calls ({design})"][3] < 50
        assert rows[f"  spoken audio from the cache, 3 calls ({design})"][2] > 0.5
        assert f"first audio, live read-backs, 3 calls talking 40 % of the time ({design})" in rows
        assert rows[f"  chunks late mid-reply (silence heard), 3 calls ({design})"][1] > 0
    assert "synthesised first audio p95, roles / before" in rows
    assert payload["machine"]["cores"] >= 1
