"""`voicebot models status` lists the NLU's encoders and every speech engine's voice, with
Piper's .onnx hash-checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def status(**env: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bot", "models", "status", "--json"], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def voice_rows(report: dict) -> dict[str, dict]:
    return {r["model"].split()[1]: r for r in report["models"] if r["model"].startswith("voice ")}


def test_status_lists_each_engine_s_voice_and_which_is_configured() -> None:
    report = status(VOICEBOT_TTS__ENGINE="piper")
    rows = voice_rows(report)
    assert report["tts_engine"] == "piper"
    assert set(rows) == {"pyttsx3", "piper", "festival", "flite"}
    assert rows["piper"]["verified"] and "<- tts.engine" in rows["piper"]["model"]
    assert "licence review" in rows["piper"]["model"]
    assert rows["festival"]["present"] and "BSD-style" in rows["festival"]["model"]
    assert rows["flite"]["present"]


def test_a_voice_that_is_not_installed_is_missing_with_the_reason() -> None:
    rows = voice_rows(status(VOICEBOT_TTS__PIPER_VOICE="en_GB-nobody-low",
                             VOICEBOT_TTS__FESTIVAL_VOICE="no_such_voice"))
    assert not rows["piper"]["present"] and "unknown Piper voice" in rows["piper"]["problem"]
    assert not rows["festival"]["present"] and "festvox" in rows["festival"]["problem"]


def test_status_lists_the_nlu_encoders_from_their_packages() -> None:
    rows = [r for r in status()["models"] if r["model"].startswith("NLU encoder")]
    assert [r["model"].split()[2] for r in rows] == ["all-MiniLM-L6-v2", "USE"]
    for row in rows:
        assert row["present"] and row["problem"] is None and Path(row["path"]).is_file()
        assert "site-packages" in row["path"]  # from the package, not a download
