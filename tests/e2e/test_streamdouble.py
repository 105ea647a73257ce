"""streamdouble, an independent Twilio Media Streams simulator, completes a call with the bot."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
import wave
from pathlib import Path

import pytest

from bot.caller.dial import fetch_record
from bot.caller.twilio_client import rms
from bot.caller.voices import speak
from bot.caller.webhook import stream_parameters
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow
STREAMDOUBLE = PROJECT_ROOT / ".venv-tools" / "bin" / "streamdouble"


def write_wav(path: Path, pcm: bytes, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)


def test_streamdouble_call_hears_the_greeting_and_the_answer(bot_server, tmp_path: Path) -> None:
    # As Twilio would: the voice webhook's TwiML gives the stream its call id and one-call token.
    call_id = "CA" + uuid.uuid4().hex
    params = asyncio.run(stream_parameters(bot_server.ws_url, call_id, "+15550001234"))
    assert STREAMDOUBLE.exists(), "run `scripts/setup.sh tools` (make test does)"
    caller = tmp_path / "caller.wav"
    # The caller lets the greeting finish (it lasts about 4 s), asks, and stays on the line
    # for the answer; speaking sooner would barge in (tests/e2e/test_twilio_calls.py).
    second = b"\x00\x00" * 8000
    write_wav(caller, second * 8 + speak("what exchange rate do you use", "rms") + second * 6)
    reply = tmp_path / "reply.wav"
    # streamdouble hangs up once its audio is sent and the bot has been quiet for 3 s.
    result = subprocess.run(
        [str(STREAMDOUBLE), "call", bot_server.ws_url, "--audio", str(caller), "--out", str(reply),
         *[arg for key, value in params.items() for arg in ("--param", f"{key}={value}")],
         "--response-timeout", "20", "--quiet-period", "3", "--max-drain", "30", "--json"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    metrics = json.loads(result.stdout)
    assert metrics["violations"] == [], metrics["violations"]
    assert metrics["time_to_first_audio_ms"] is not None
    with wave.open(str(reply)) as wav:
        heard = wav.readframes(wav.getnframes())
        rate = wav.getframerate()
    assert rms(heard) > 300
    record = asyncio.run(fetch_record(bot_server.ws_url, bot_server.token, call_id, timeout_s=15))
    assert record is not None, f"no record for {call_id}"
    spoken = [turn for turn in record["turns"] if turn["input_kind"] == "text"]
    assert [turn["intent"] for turn in spoken] == ["exchange_rate"], record["turns"]
    # Greeting and answer both reached streamdouble: more audio than the greeting alone.
    greeting_s = metrics["time_to_first_audio_ms"] / 1000
    assert len(heard) / 2 / rate > 2.0, "the greeting and the answer were not heard"
    assert greeting_s < 8.0, "the greeting came after the caller had started speaking"
