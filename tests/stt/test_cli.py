"""`voicebot transcribe`, `voicebot models`, `voicebot bench stt|vad` end to end (in process)."""

from __future__ import annotations

import json
import wave

import numpy as np
import pytest
import soxr

from bot.caller.voices import synthesize
from bot.cli import main

PROMPT = "/usr/share/asterisk/sounds/en/tt-monkeysintro.wav"  # "They have been carried away by monkeys."


@pytest.fixture
def lm_env(monkeypatch, domain_lm):
    monkeypatch.setenv("VOICEBOT_STT__DOMAIN_LM_PATH", str(domain_lm))
    monkeypatch.setenv("VOICEBOT_STT__BACKEND", "pocketsphinx")


def _write_wav(path, pcm: bytes, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)


def test_transcribe_a_44k_file_with_partials_and_json(tmp_path, capsys, lm_env):
    pcm, rate = synthesize("I lost my card yesterday and I want to block it", "slt")
    path = tmp_path / "caller.wav"
    silence = b"\x00\x00" * 22050
    at_44k = soxr.resample(np.frombuffer(pcm, "<i2"), rate, 44100).astype("<i2").tobytes()
    _write_wav(path, silence + at_44k + silence, 44100)
    assert main(["transcribe", str(path)]) == 0
    out = capsys.readouterr().out
    assert "  ... " in out  # partials first (pocketsphinx, lower case)
    assert "I lost my card yesterday" in out.splitlines()[-1]  # the final pass (Whisper)
    assert main(["transcribe", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["backend"] == "pocketsphinx" and doc["sample_rate"] == 44100
    assert doc["final_model"] == "whisper-tiny.en"
    (utt,) = doc["utterances"]
    assert utt["text"].startswith("I lost my card") and utt["partials"]
    assert 0.4 < utt["start_s"] < 0.8 and utt["words"][0]["start_s"] >= utt["start_s"]
    assert main(["transcribe", str(path), "--json", "--final", "none"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["final_model"] is None and doc["utterances"][0]["text"].startswith("i lost my card")


def test_transcribe_an_asterisk_prompt_with_the_generic_model(capsys, lm_env):
    assert main(["transcribe", PROMPT, "--generic-lm", "--whole", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["language_model"] is None
    assert "carried away" in doc["utterances"][0]["text"]


def test_transcribe_errors_are_one_line(tmp_path, capsys, lm_env):
    assert main(["transcribe", str(tmp_path / "missing.wav")]) == 1
    assert capsys.readouterr().err.strip() == f"voicebot transcribe: {tmp_path / 'missing.wav'}: no such file"
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav at all")
    assert main(["transcribe", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a PCM WAV file" in err[0]


def test_models_fetch_fails_clearly_offline_and_status_lists(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VOICEBOT_PATHS__MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("VOICEBOT_STT__VOSK_MODEL_PATH", str(tmp_path / "vosk-model-small-en-us-0.15"))
    assert main(["models", "fetch", "--timeout", "5"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("voicebot models: cannot download https://alphacephei.com/")
    assert not (tmp_path / "vosk-model-small-en-us-0.15").exists()
    assert main(["models", "fetch", "nope"]) == 1
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert main(["models", "status", "--json"]) == 0
    rows = {r["model"]: r["present"] for r in json.loads(capsys.readouterr().out)["models"]}
    assert rows["pocketsphinx en-us (embedded)"] is True
    assert any(k.startswith("vosk") and v is False for k, v in rows.items())


def test_bench_stt_and_vad_quick_runs(tmp_path, capsys, lm_env):
    out = tmp_path / "stt.json"
    assert main(["bench", "stt", "--asterisk", "3", "--sentences", "2", "--voices",
                 "rms,kal", "--models", "generic,domain,whisper-tiny.en", "--snr", "10",
                 "--noise-sentences", "1", "--digits", "2", "--delay-items", "2",
                 "--repeat", "2", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    sets = {"Asterisk prompts", "in-domain, 8 kHz mu-law", "in-domain + pink noise 10 dB",
            "digit strings, human (Asterisk digits)", "digit strings, flite kal / slt"}
    assert len(doc["rows"]) == 15 and {r[1] for r in doc["rows"]} == sets
    assert all(0 <= r[3] <= 2 and 0 < r[4] < 1 for r in doc["rows"])
    for row, detail in zip(doc["rows"], doc["details"]):  # two runs, their median reported
        assert len(detail["wer_runs"]) == 2 and row[3] == pytest.approx(sum(detail["wer_runs"]) / 2)
        assert row[7] == " / ".join(f"{w:.3f}" for w in detail["wer_runs"])
    neural = [r for r in doc["rows"] if r[0].startswith("whisper-tiny.en")]
    assert neural[0][0].endswith("[default]") and neural[0][9] != "-"  # its delay and memory
    p50, p95 = (float(x) for x in neural[0][8].split(" / "))
    assert 0 <= p50 <= p95 < 5000
    digits = next(r for r in neural if r[1].startswith("digit strings, human"))
    assert digits[3] <= 0.2  # the Asterisk voice's digits, written as digits
    vad = tmp_path / "vad.json"
    assert main(["bench", "vad", "--limit", "12", "--snr", "clean,10", "--aggressiveness", "2",
                 "--json", str(vad)]) == 0
    rows = json.loads(vad.read_text())["rows"]
    assert [r[0] for r in rows] == ["clean", "10 dB SNR"] and all(r[3] == "100.0%" for r in rows)
    assert "| condition" in capsys.readouterr().out
