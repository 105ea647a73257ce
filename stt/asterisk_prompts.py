"""The human-recorded Asterisk prompts: telephone speech with transcripts, and the
adaptation speech of the recognizer's telephone-channel MLLR transform (`stt.adaptation`).

The recordings are Debian's `asterisk-core-sounds-en-wav` (one speaker, 8 kHz) with the
transcripts of `asterisk-core-sounds-en`, normalised for word error rate. The adaptation
uses all of them but the 150 that `voicebot bench stt` scores, so the benchmark's Asterisk
numbers stay held out (same speaker, other sentences). Never the synthetic test voices or
the caller sentences: those are the in-domain test set.
"""

from __future__ import annotations

import gzip
import random
import re
from dataclasses import dataclass
from pathlib import Path

from stt.text import normalise

SOUNDS_DIR = Path("/usr/share/asterisk/sounds/en")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
BENCH_PROMPTS = 150  # `voicebot bench stt --asterisk` default: kept out of the adaptation data


class CorpusError(RuntimeError):
    """Test or adaptation speech is missing (a package is not installed)."""


@dataclass(frozen=True)
class Prompt:
    name: str
    path: Path
    text: str  # the transcript as published
    words: str  # normalised for WER


def check_installed() -> None:
    """CorpusError, with the apt command, when the recordings or transcripts are missing."""
    if not SOUNDS_DIR.is_dir() or not TRANSCRIPTS.is_file():
        raise CorpusError(
            "the Asterisk prompts are missing: apt-get install asterisk-core-sounds-en-wav "
            "asterisk-core-sounds-en"
        )


def asterisk_prompts(limit: int | None = None, seed: int = 0) -> list[Prompt]:
    """Spoken Asterisk prompts with a transcript (tones, silences, numbers >= 100 left out).

    With `limit`, a fixed random sample (same seed, same prompts) in name order.
    """
    check_installed()
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


def adaptation_recordings(held_out: int = BENCH_PROMPTS) -> list[tuple[Path, str]]:
    """(WAV, normalised transcript) of the Asterisk prompts not among the benchmark's."""
    bench = {p.name for p in asterisk_prompts(held_out)}
    return [(p.path, p.words) for p in asterisk_prompts() if p.name not in bench]
