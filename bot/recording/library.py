"""Recordings on disk: list, read (decrypting), and purge past retention. All blocking:
callers on the event loop run these with `asyncio.to_thread`."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

from bot.recording.crypto import decrypt

SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}")
STALE_PART_S = 86400.0  # a .part older than this was left by a crash mid-call


def file_name(call_id: str) -> str:
    """The file stem for a call: its id when that is a safe name, else a digest of it."""
    if SAFE_NAME.fullmatch(call_id):
        return call_id
    return "call-" + hashlib.sha256(call_id.encode()).hexdigest()[:32]


def metadata(directory: Path, call_id: str) -> dict[str, Any] | None:
    path = directory / f"{file_name(call_id)}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def listing(directory: Path, limit: int = 200) -> list[dict[str, Any]]:
    """The newest `limit` recordings' metadata, newest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.glob("*.json"):
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    found.sort(key=lambda m: m.get("started_at", 0), reverse=True)
    return found[:limit]


def audio(directory: Path, call_id: str, key: str) -> bytes | None:
    """The recording's FLAC bytes (decrypted; `WrongKey` when that cannot be done), or None."""
    meta = metadata(directory, call_id)
    if meta is None:
        return None
    data = (directory / meta["file"]).read_bytes()
    return decrypt(key, data) if meta.get("encrypted") else data


def purge(directory: Path, retention_days: float, now: float | None = None) -> list[str]:
    """Delete recordings that started more than `retention_days` ago (and stale partial
    files); the call ids deleted."""
    if not directory.is_dir():
        return []
    now = time.time() if now is None else now
    cutoff = now - retention_days * 86400
    gone = []
    for path in directory.glob("*.json"):
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            started = float(meta.get("started_at", path.stat().st_mtime))
        except (OSError, ValueError):
            continue
        if started < cutoff:
            if meta.get("file"):
                (directory / Path(meta["file"]).name).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            gone.append(str(meta.get("call_id", path.stem)))
    for part in directory.glob("*.part"):
        if part.stat().st_mtime < now - STALE_PART_S:
            part.unlink(missing_ok=True)
    return gone
