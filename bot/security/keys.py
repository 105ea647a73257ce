"""Server keys: generated at first start into the data directory (mode 0600), never shipped.

`calls.stream_secret` in the configuration still wins when it is set; otherwise the key in
`<data_dir>/server-keys.json` is used, and made on the first start that finds none.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings

KEYS_FILE = "server-keys.json"


@dataclass(frozen=True)
class ServerKeys:
    stream_key: bytes  # signs per-call media-stream and browser tokens
    source: str  # "config" or the key file's path, for `voicebot doctor`


def keys_path(settings: Settings) -> Path:
    return settings.data_path(Path(KEYS_FILE))


def _read_or_create(path: Path) -> dict[str, str]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"stream_key": secrets.token_urlsafe(32)}
    # O_EXCL: two processes starting at once must not both write; the loser reads the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return json.loads(path.read_text(encoding="utf-8"))
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out)
    return data


def load_server_keys(settings: Settings) -> ServerKeys:
    """The keys to use: the configured secret, else the data directory's key file."""
    configured = settings.calls.stream_secret
    if configured:
        return ServerKeys(configured.encode(), "config")
    path = keys_path(settings)
    data = _read_or_create(path)
    if path.stat().st_mode & 0o077:  # someone loosened it: tighten again
        path.chmod(0o600)
    return ServerKeys(data["stream_key"].encode(), str(path))
