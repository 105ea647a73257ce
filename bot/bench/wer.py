"""Word error rate (Levenshtein over words) for the recognizer benchmarks and tests."""

from __future__ import annotations

from collections.abc import Iterable


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Substitutions + deletions + insertions turning `ref` into `hyp`."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def wer(pairs: Iterable[tuple[str, str]]) -> float:
    """Corpus WER of (reference, hypothesis) pairs: total edits / total reference words."""
    errors = words = 0
    for ref, hyp in pairs:
        r, h = ref.split(), hyp.split()
        errors += edit_distance(r, h)
        words += len(r)
    return errors / words if words else 0.0
