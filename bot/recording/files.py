"""Where a recording is written: FLAC through libsndfile (soundfile), on the writer thread.

Everything here blocks and runs on `RecordingDesk`'s one writer thread, in the order the
call submitted it. Without a key the FLAC goes straight to `<name>.flac.part` (a crash keeps
what was written) and is renamed when the call ends; with a key it is built in memory and only
its encryption reaches the disk. The metadata (`<name>.json`) is written last, so a listing
never shows a recording whose audio is not complete.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from bot.recording.crypto import encrypt


class FlacSink:
    """One recording being written."""

    def __init__(self, directory: Path, name: str, rate: int, key: str) -> None:
        self.directory = directory
        self.name = name
        self.key = key
        self.part = directory / f"{name}.flac.part"
        self._memory = io.BytesIO() if key else None
        directory.mkdir(parents=True, exist_ok=True)
        target: Any = self._memory if self._memory is not None else self.part
        self._file = soundfile.SoundFile(target, "w", samplerate=rate, channels=2, format="FLAC",
                                         subtype="PCM_16")

    def write(self, block: np.ndarray) -> None:
        self._file.write(block)

    def keep(self, metadata: dict[str, Any]) -> Path:
        """Close, move the audio into place (encrypted with a key), then write the metadata."""
        self._file.close()
        if self._memory is not None:
            audio = self.directory / f"{self.name}.flac.enc"
            _write_atomic(audio, encrypt(self.key, self._memory.getvalue()))
        else:
            audio = self.directory / f"{self.name}.flac"
            os.replace(self.part, audio)
        metadata = {**metadata, "file": audio.name, "encrypted": bool(self.key)}
        _write_atomic(self.directory / f"{self.name}.json",
                      json.dumps(metadata, indent=1).encode())
        return audio

    def discard(self) -> None:
        """Close and delete: nothing of this call stays on disk."""
        self._file.close()
        self.part.unlink(missing_ok=True)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
