"""Word error rate (Levenshtein over words) for the recognizer benchmarks and tests."""

from __future__ import annotations

import re
from collections.abc import Iterable


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Substitutions + deletions + insertions turning `ref` into `hyp`."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


# Spellings of one spoken word (British / American): the recognizer cannot hear the
# difference, so scoring treats them as the same word (like NIST's GLM mapping files).
SPELLING_VARIANTS = {
    "recognise": "recognize", "recognised": "recognized", "cheque": "check", "cheques": "checks",
    "cancelled": "canceled", "cancelling": "canceling", "authorise": "authorize",
    "authorised": "authorized", "organise": "organize", "realise": "realize",
    "harbour": "harbor", "centre": "center", "colour": "color", "favour": "favor", "licence": "license",
}


# Ways of writing one spoken form (as in NIST's GLM files): "can not" and "cannot" sound the
# same, so does "okay" and "ok"; each is scored as the first form.
WRITTEN_ALTERNATES = (
    (re.compile(r"\bcan not\b"), "cannot"), (re.compile(r"\bok\b"), "okay"),
    (re.compile(r"\bgood bye\b"), "goodbye"), (re.compile(r"\ball right\b"), "alright"),
)


def _words(text: str) -> list[str]:
    for pattern, canonical in WRITTEN_ALTERNATES:
        text = pattern.sub(canonical, text)
    return [SPELLING_VARIANTS.get(w, w) for w in text.split()]


def wer(pairs: Iterable[tuple[str, str]]) -> float:
    """Corpus WER of (reference, hypothesis) pairs: total edits / total reference words
    (spelling variants of one word count as that word)."""
    errors = words = 0
    for ref, hyp in pairs:
        r, h = _words(ref), _words(hyp)
        errors += edit_distance(r, h)
        words += len(r)
    return errors / words if words else 0.0
