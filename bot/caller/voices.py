"""Synthetic callers: flite voices and festival (and espeak-ng for other languages).

One set of names (`VOICES`) and one disk cache serve the simulated callers, the voice
scenarios and the benchmarks.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from stt.audio import read_wav, to_rate

FLITE_VOICES = ("kal", "awb", "rms", "slt")
FESTIVAL_VOICES = {"festival_slt": "cmu_us_slt_arctic_hts"}
VOICES = FLITE_VOICES + tuple(FESTIVAL_VOICES)
ESPEAK = "espeak:"  # "espeak:LANG", e.g. espeak:ko, for a language the English voices lack
CACHE_DIR = Path(tempfile.gettempdir()) / "voicebot-caller-voices"


class VoiceError(RuntimeError):
    """A synthetic voice could not speak (missing program or voice)."""


def _command(text: str, voice: str, out: Path, espeak_wpm: int) -> tuple[list[str], str | None]:
    """The program that speaks `text` into `out`, and what it reads on stdin."""
    if voice in FLITE_VOICES:
        return ["flite", "-voice", voice, "-t", text, "-o", str(out)], None
    if voice in FESTIVAL_VOICES:
        return ["text2wave", "-eval", f"(voice_{FESTIVAL_VOICES[voice]})", "-o", str(out)], text
    if voice.startswith(ESPEAK):
        return ["espeak-ng", "-v", voice[len(ESPEAK):], "-s", str(espeak_wpm), "-w", str(out), text], None
    raise VoiceError(f"unknown caller voice {voice!r}; choose one of {', '.join(VOICES)} "
                     f"(or {ESPEAK}LANG)")


def synthesize(text: str, voice: str, espeak_wpm: int = 140) -> tuple[bytes, int]:
    """`text` spoken by `voice` at the voice's own rate: PCM16 mono and that rate (not cached)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        cmd, stdin = _command(text, voice, out, espeak_wpm)
        if shutil.which(cmd[0]) is None:
            raise VoiceError(f"{cmd[0]} is not installed (see scripts/apt-test.txt)")
        try:
            subprocess.run(cmd, input=stdin, text=True, check=True, capture_output=True, timeout=120)
        except subprocess.CalledProcessError as exc:
            raise VoiceError(f"{cmd[0]} failed: {exc.stderr.strip()[:200]}") from None
        return read_wav(out)


def speak(text: str, voice: str = "rms", rate: int = 8000) -> bytes:
    """`text` spoken by a synthetic caller voice, as PCM16 mono at `rate` (cached on disk)."""
    key = hashlib.sha256(f"{voice}\0{rate}\0{text}".encode()).hexdigest()[:24]
    cached = CACHE_DIR / f"{key}.pcm"
    if cached.exists():
        return cached.read_bytes()
    pcm, source_rate = synthesize(text, voice)
    pcm = to_rate(pcm, source_rate, rate)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp_path = cached.with_suffix(f".{os.getpid()}-{id(pcm)}.tmp")  # test workers share it
    tmp_path.write_bytes(pcm)
    tmp_path.replace(cached)
    return pcm
