"""Content-addressed audio cache: an in-memory LRU in front of a directory of files.

The key is a SHA-256 of everything that changes the bytes (cache version, engine, voice,
rate, pitch, volume, speed, level, output format, sentence text), so a changed
setting never serves stale audio and identical requests share one file. Disk reads and writes run in a thread, off the loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
from collections import OrderedDict
from pathlib import Path

from tts.synthesizer import VoiceParams

log = logging.getLogger(__name__)

# Bump when normalisation, splitting or the engine output changes the audio for a key.
CACHE_VERSION = 3


def cache_key(voice: VoiceParams, fmt: str, text: str) -> str:
    """The content address of one sentence's audio."""
    material = json.dumps(
        [CACHE_VERSION, voice.engine, voice.voice, voice.rate_wpm, voice.pitch, round(voice.volume, 3),
         round(voice.speed, 3), round(voice.level_dbfs, 2), fmt, text],
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class AudioCache:
    """`get`/`put` audio bytes by key; `memory_items=0` disables the LRU, `directory=None` the disk.

    `prerendered` is a second, read-only directory of the same layout (`voicebot train` fills
    it with the fixed lines): read when `directory` has no file, never written or pruned.
    """

    def __init__(
        self, directory: Path | None, memory_items: int = 512, prerendered: Path | None = None
    ) -> None:
        self.directory = directory
        self.prerendered = prerendered
        self.memory_items = memory_items
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        # Keys known to be on disk (after `load_index`): a miss then costs no disk access.
        self._on_disk: set[str] | None = None
        self._writes: set[asyncio.Task[None]] = set()
        self.hits_memory = 0
        self.hits_disk = 0
        self.misses = 0

    def _path(self, key: str, directory: Path | None = None) -> Path:
        directory = directory or self.directory
        assert directory is not None
        return directory / key[:2] / f"{key}.audio"

    def get_memory(self, key: str) -> bytes | None:
        """A memory hit without leaving the event loop (None on a miss)."""
        data = self._memory.get(key)
        if data is not None:
            self._memory.move_to_end(key)
            self.hits_memory += 1
        return data

    async def load_index(self) -> int:
        """List the disk cache once, so later misses need no disk access; returns entries."""
        directories = [d for d in (self.directory, self.prerendered) if d is not None]
        if not directories:
            return 0
        keys = await asyncio.to_thread(
            lambda: {p.stem for d in directories for p in d.glob("*/*.audio")})
        self._on_disk = keys
        return len(keys)

    async def get(self, key: str) -> bytes | None:
        data = self.get_memory(key)
        known_missing = self._on_disk is not None and key not in self._on_disk
        no_disk = self.directory is None and self.prerendered is None
        if data is not None or no_disk or known_missing:
            if data is None:
                self.misses += 1
            return data
        data = await asyncio.to_thread(self._read, key)
        if data is None:
            self.misses += 1
            return None
        self.hits_disk += 1
        self._remember(key, data)
        return data

    async def put(self, key: str, data: bytes) -> None:
        """Remember now; the disk write happens in the background (see `flush`)."""
        self._remember(key, data)
        if self.directory is not None:
            task = asyncio.ensure_future(asyncio.to_thread(self._write, key, data))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)

    async def flush(self) -> None:
        """Wait for pending disk writes."""
        while self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

    def contains_memory(self, key: str) -> bool:
        return key in self._memory

    def clear_memory(self) -> None:
        self._memory.clear()

    def _remember(self, key: str, data: bytes) -> None:
        if self.memory_items <= 0:
            return
        self._memory[key] = data
        self._memory.move_to_end(key)
        while len(self._memory) > self.memory_items:
            self._memory.popitem(last=False)

    def _read(self, key: str) -> bytes | None:
        for directory in (self.directory, self.prerendered):
            if directory is None:
                continue
            try:
                return self._path(key, directory).read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("tts cache: cannot read %s (%s); synthesizing again", key, exc.strerror)
        return None

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader never sees half a file, two writers never clash.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
            if self._on_disk is not None:
                self._on_disk.add(key)
        except OSError as exc:
            log.warning("tts cache: cannot write %s (%s)", path, exc.strerror)

    def prune(self, max_bytes: int) -> int:
        """Delete the least recently used files beyond `max_bytes`; returns files removed. Blocking."""
        if self.directory is None or not self.directory.exists():
            return 0
        files = []
        for path in self.directory.glob("*/*.audio"):
            try:
                stat = path.stat()
            except OSError:
                continue
            files.append((stat.st_atime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        removed = 0
        for _, size, path in sorted(files):
            if total <= max_bytes:
                break
            try:
                path.unlink()
                total -= size
                removed += 1
                if self._on_disk is not None:
                    self._on_disk.discard(path.stem)
            except OSError:
                pass
        return removed
