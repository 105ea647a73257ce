"""Split normalised text into sentences, the unit of synthesis, caching and streaming.

The first chunk is kept short (cut at a comma, semicolon or colon when the first sentence is
long) so the caller hears the start of the reply while the rest is being synthesized.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")


def split_sentences(text: str, first_max_words: int = 10) -> list[str]:
    """Sentences of already-normalised `text`; the first one cut at a clause if it is long.

    `first_max_words=0` keeps the first sentence whole.
    """
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]
    sentences = [s for s in sentences if re.search(r"\w", s)]
    if sentences and first_max_words > 0:
        sentences[:1] = _shorten(sentences[0], first_max_words)
    return sentences


def _shorten(sentence: str, max_words: int, min_words: int = 3) -> list[str]:
    """Cut `sentence` at the last clause boundary within `max_words` (both parts >= min_words)."""
    words = sentence.split()
    if len(words) <= max_words:
        return [sentence]
    best = None
    for match in _CLAUSE_END.finditer(sentence):
        head_words = len(sentence[: match.start()].split())
        if head_words > max_words:
            break
        if head_words >= min_words and len(words) - head_words >= min_words:
            best = match
    if best is None:
        return [sentence]
    return [sentence[: best.start()].strip(), sentence[best.end() :].strip()]
