"""Build the recognizer's telephone-channel MLLR transform (`stt.mllr_path`).

The adaptation speech is the human-recorded Asterisk prompts (Debian
`asterisk-core-sounds-en-wav`, one speaker, 8 kHz) minus the 150 that `voicebot bench stt`
scores, so the benchmark's Asterisk numbers stay held out (same speaker, other sentences).
Never the synthetic test voices or the caller sentences: those are the in-domain test set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

BENCH_PROMPTS = 150  # `voicebot bench stt --asterisk` default: kept out of the adaptation data


def adaptation_recordings(held_out: int = BENCH_PROMPTS) -> list[tuple[Path, str]]:
    """(WAV, normalised transcript) of the Asterisk prompts not among the benchmark's."""
    from bot.bench.corpus import asterisk_prompts

    bench = {p.name for p in asterisk_prompts(held_out)}
    return [(p.path, p.words) for p in asterisk_prompts() if p.name not in bench]


def mllr_file(settings: Any) -> Path | None:
    """Where the transform lives (`stt.mllr_path` made absolute; None: adaptation is off)."""
    return settings.path(settings.stt.mllr_path) if settings.stt.mllr_path is not None else None


def build_telephone_mllr(settings: Any, force: bool = False) -> Path:
    """Build `stt.mllr_path` (seconds; skipped when up to date). Raises
    `stt.adaptation.AdaptationError` or `bot.bench.corpus.CorpusError` with an apt hint."""
    from stt.adaptation import build_mllr

    path = mllr_file(settings)
    if path is None:
        raise ValueError("stt.mllr_path is not set (null turns the adaptation off)")
    return build_mllr(path, adaptation_recordings(), force=force)
