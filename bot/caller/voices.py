"""Synthetic callers: flite voices and festival, rendered to 8 kHz PCM16 for the phone path."""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path

from stt.audio import read_wav, to_rate

FLITE_VOICES = ("kal", "awb", "rms", "slt")
FESTIVAL_VOICES = ("festival_slt",)
VOICES = FLITE_VOICES + FESTIVAL_VOICES
CACHE_DIR = Path(tempfile.gettempdir()) / "voicebot-caller-voices"


class VoiceError(RuntimeError):
    """A synthetic voice could not speak (missing program or voice)."""


def _render(text: str, voice: str, out: Path) -> None:
    if voice in FLITE_VOICES:
        cmd = ["flite", "-voice", voice, "-t", text, "-o", str(out)]
        stdin = None
    elif voice == "festival_slt":
        cmd = ["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", str(out)]
        stdin = text
    else:
        raise VoiceError(f"unknown caller voice {voice!r}; choose one of {', '.join(VOICES)}")
    try:
        subprocess.run(cmd, input=stdin, text=True, check=True, capture_output=True, timeout=60)
    except FileNotFoundError:
        raise VoiceError(f"{cmd[0]} is not installed (apt-get install flite festival "
                         "festvox-us-slt-hts)") from None
    except subprocess.CalledProcessError as exc:
        raise VoiceError(f"{cmd[0]} failed: {exc.stderr.strip()[:200]}") from None


def speak(text: str, voice: str = "rms", rate: int = 8000) -> bytes:
    """`text` spoken by a synthetic caller voice, as PCM16 mono at `rate` (cached on disk)."""
    key = hashlib.sha256(f"{voice}\0{rate}\0{text}".encode()).hexdigest()[:24]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cached = CACHE_DIR / f"{key}.pcm"
    if cached.exists():
        return cached.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "say.wav"
        _render(text, voice, wav)
        pcm, source_rate = read_wav(wav)
    pcm = to_rate(pcm, source_rate, rate)
    tmp_path = cached.with_suffix(".tmp")
    tmp_path.write_bytes(pcm)
    tmp_path.replace(cached)
    return pcm
