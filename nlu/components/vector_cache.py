"""A disk cache of sentence vectors by text, so that a retrain after a small data edit
embeds only the new examples (Rasa's own cache only helps when nothing changed)."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)
MAX_ITEMS = 200_000


def cache_file(model_id: str, directory: Path | None = None) -> Path:
    """Where vectors of one embedding model are kept (beside Rasa's training cache)."""
    directory = directory or Path(os.environ.get("RASA_CACHE_DIRECTORY", ".rasa/cache"))
    kind = model_id.split(":", 1)[0]
    return directory / f"{kind}-vectors-{hashlib.sha1(model_id.encode()).hexdigest()[:12]}.npz"


def cached_encode(
    texts: Sequence[str], encode: Callable[[list[str]], np.ndarray], path: Path
) -> np.ndarray:
    """Vectors for texts, computing only those not in the cache file, then updating it."""
    known: dict[str, np.ndarray] = {}
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as data:
                known = dict(zip(data["texts"].tolist(), data["vectors"]))
        except (OSError, ValueError, KeyError):
            logger.warning("vector cache %s unreadable; rebuilding it", path)
    missing = sorted({t for t in texts if t not in known})
    if missing:
        for text, vector in zip(missing, encode(missing)):
            known[text] = vector
        if len(known) <= MAX_ITEMS:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(path.stem + ".tmp.npz")
                np.savez(tmp, texts=np.array(list(known)), vectors=np.stack(list(known.values())))
                tmp.replace(path)
            except OSError as exc:
                logger.warning("vector cache %s not written: %s", path, exc)
    logger.info("%s vectors: %d cached, %d computed", path.stem.split("-vectors")[0], len(texts) - len(missing),
                len(missing))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([known[t] for t in texts]).astype(np.float32)
