"""streamdouble, an independent Twilio Media Streams simulator, completes a call with the bot."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
import wave
from pathlib import Path

import pytest

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


def test_streamdouble_call_hears_the_greeting(bot_server, tmp_path: Path) -> None:
    # As Twilio would: the voice webhook's TwiML gives the stream its call id and one-call token.
    params = asyncio.run(stream_parameters(bot_server.ws_url, "CA" + uuid.uuid4().hex, "+15550001234"))
    assert STREAMDOUBLE.exists(), "run `scripts/setup.sh tools` (make test does)"
    caller = tmp_path / "caller.wav"
    write_wav(caller, b"\x00\x00" * 8000 + speak("what exchange rate do you use", "rms"))
    reply = tmp_path / "reply.wav"
    result = subprocess.run(
        [str(STREAMDOUBLE), "call", bot_server.ws_url, "--audio", str(caller), "--out", str(reply),
         *[arg for key, value in params.items() for arg in ("--param", f"{key}={value}")],
         "--response-timeout", "20", "--quiet-period", "1.5", "--max-drain", "30", "--json"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    metrics = json.loads(result.stdout)
    assert metrics["time_to_first_audio_ms"] is not None
    with wave.open(str(reply)) as wav:
        heard = wav.readframes(wav.getnframes())
        rate = wav.getframerate()
    assert len(heard) / 2 / rate > 1.0, "the bot's greeting was not heard"
    assert rms(heard) > 300
