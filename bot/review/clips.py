"""The caller's audio of one turn, cut from the call's recording (when the call was
recorded: the recording mode, the caller's consent and PCI pauses decide; paused stretches
are silence)."""

from __future__ import annotations

import io
from pathlib import Path

import soundfile

from bot.recording import library

LEAD_S = 0.2  # a little before the speech started, so its first sound is not cut


def turn_span(meta: dict, idx: int) -> tuple[float, float] | None:
    """(start, end) seconds of the caller's speech before reply `idx` (turns count from 1:
    each reply, the greeting included, left one mark in the recording)."""
    marks = meta.get("turns") or []
    if not 1 <= idx <= len(marks):
        return None
    mark = marks[idx - 1]
    start, end = float(mark.get("caller_s", 0.0)), float(mark.get("at_s", 0.0))
    return (max(0.0, start - LEAD_S), end) if end > start else None


def has_clip(directory: Path, call_id: str, idx: int) -> bool:
    meta = library.metadata(directory, call_id)
    return meta is not None and turn_span(meta, idx) is not None


def turn_clip(directory: Path, call_id: str, idx: int, key: str) -> bytes | None:
    """The caller's side of turn `idx` as a WAV file, or None when there is none (blocking)."""
    meta = library.metadata(directory, call_id)
    span = turn_span(meta, idx) if meta else None
    if span is None:
        return None
    flac = library.audio(directory, call_id, key)
    if flac is None:
        return None
    samples, rate = soundfile.read(io.BytesIO(flac), dtype="int16", always_2d=True)
    caller = samples[int(span[0] * rate): int(span[1] * rate), 0]
    out = io.BytesIO()
    soundfile.write(out, caller, rate, format="WAV", subtype="PCM_16")
    return out.getvalue()
