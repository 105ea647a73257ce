"""Similar caller utterances grouped with the NLU's own sentence vectors (MiniLM, the
featurizer of nlu/config.yml), so that "37 callers said something like ..." is one row."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def sentence_vectors(texts: list[str]) -> np.ndarray | None:
    """L2-normalised sentence vectors, or None when the encoder cannot be loaded (blocking)."""
    from nlu.components.minilm import MiniLMError, shared_encoder

    try:
        return shared_encoder(max_length=64).encode(texts)
    except (MiniLMError, OSError, ImportError) as exc:
        log.warning("review: no sentence vectors, utterances are not grouped (%s)", exc)
        return None


def group(items: list[dict[str, Any]], threshold: float) -> list[dict[str, Any]]:
    """Greedy clustering, most frequent wording first: an item joins the first group whose
    mean vector it is at least `threshold` cosine-similar to (the same words always join);
    a group is named by its first, most frequent wording (blocking: runs the encoder)."""
    if not items:
        return []
    texts = [item["user_text"] for item in items]
    vectors = sentence_vectors(texts)
    counts: dict[str, int] = {}
    for text in texts:
        counts[text.casefold()] = counts.get(text.casefold(), 0) + 1
    order = sorted(range(len(items)), key=lambda i: -counts[texts[i].casefold()])
    leaders: list[int] = []
    members: dict[int, list[int]] = {}
    sums: dict[int, np.ndarray] = {}
    for i in order:
        home = None
        for leader in leaders:
            same = texts[i].casefold() == texts[leader].casefold()
            if same or (vectors is not None and _cosine(vectors[i], sums[leader]) >= threshold):
                home = leader
                break
        if home is None:
            home = i
            leaders.append(i)
            members[i] = []
            sums[i] = np.zeros_like(vectors[i]) if vectors is not None else np.zeros(1)
        members[home].append(i)
        if vectors is not None:
            sums[home] = sums[home] + vectors[i]
    groups = [{"text": texts[leader], "turns": [items[i]["key"] for i in members[leader]],
               "callers": len({items[i]["call_id"] for i in members[leader]})} for leader in leaders]
    groups.sort(key=lambda g: (-g["callers"], -len(g["turns"])))
    return groups


def _cosine(vector: np.ndarray, total: np.ndarray) -> float:
    """Cosine between a unit vector and the mean direction of a group (its vectors' sum)."""
    norm = float(np.linalg.norm(total))
    return float(vector @ total) / norm if norm else 0.0
