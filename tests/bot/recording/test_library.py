"""Stored recordings: FLAC in two channels, encrypted at rest, purged past retention."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from bot.recording import library
from bot.recording.crypto import WrongKey, new_key
from bot.recording.files import FlacSink


def store(directory: Path, call_id: str, key: str = "", started_at: float | None = None) -> np.ndarray:
    block = np.zeros((8000, 2), dtype=np.int16)
    block[:, 0] = (np.sin(np.arange(8000) / 5) * 3000).astype(np.int16)
    sink = FlacSink(directory, call_id, 8000, key)
    sink.write(block)
    sink.keep({"call_id": call_id, "started_at": started_at or time.time(), "paused": []})
    return block


def test_a_kept_recording_is_a_two_channel_flac_listed_with_its_metadata(tmp_path: Path) -> None:
    block = store(tmp_path, "CA1")
    audio, rate = soundfile.read(tmp_path / "CA1.flac", dtype="int16")
    assert rate == 8000 and audio.shape == (8000, 2)
    assert (audio == block).all()  # lossless
    assert not list(tmp_path.glob("*.part"))
    assert [m["call_id"] for m in library.listing(tmp_path)] == ["CA1"]


def test_an_encrypted_recording_is_unreadable_without_the_key_and_plays_with_it(tmp_path: Path) -> None:
    key = new_key()
    block = store(tmp_path, "CA2", key)
    stored = tmp_path / "CA2.flac.enc"
    assert not (tmp_path / "CA2.flac").exists()
    assert b"fLaC" not in stored.read_bytes()
    with pytest.raises(soundfile.LibsndfileError):
        soundfile.read(stored)
    with pytest.raises(WrongKey):
        library.audio(tmp_path, "CA2", new_key())
    with pytest.raises(WrongKey):
        library.audio(tmp_path, "CA2", "")
    data = library.audio(tmp_path, "CA2", key)
    assert data[:4] == b"fLaC"
    audio, _ = soundfile.read(__import__("io").BytesIO(data), dtype="int16")
    assert (audio == block).all()


def test_purge_removes_recordings_past_retention_only(tmp_path: Path) -> None:
    store(tmp_path, "old", started_at=time.time() - 31 * 86400)
    store(tmp_path, "new", started_at=time.time() - 29 * 86400)
    assert library.purge(tmp_path, retention_days=30) == ["old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.flac", "new.json"]


def test_a_discarded_recording_leaves_nothing(tmp_path: Path) -> None:
    sink = FlacSink(tmp_path, "CA3", 8000, "")
    sink.write(np.ones((800, 2), dtype=np.int16))
    sink.discard()
    assert list(tmp_path.iterdir()) == []


def test_call_ids_that_are_not_safe_file_names_are_hashed() -> None:
    assert library.file_name("CA0123abc") == "CA0123abc"
    name = library.file_name("../../etc/passwd")
    assert name.startswith("call-") and "/" not in name
    assert json.dumps(name)
