"""Split normalised text into sentences, the unit of synthesis, caching and streaming.

The first chunk is kept short (cut at a comma, semicolon or colon when the first sentence is
long; with none, just before a read-back's number) so the caller hears the start of the reply
while the rest is being synthesized. "Your balance is" then comes from the cache while the
amount after it is synthesized, which matters for the slower, natural voices.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")
# Where a read-back starts: two number words in a row (as the normaliser writes numbers), or
# two spelt letters; "one of our colleagues" or "I can" is no read-back.
_NUMBER = (r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|"
           r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-\w+)?")
# After an amount's whole units ("... seventeen dollars | and sixteen cents"): where a speaker
# takes a breath, when the lead-in is too short to cut before the amount.
_AMOUNT_UNIT_END = re.compile(r"\b(?:dollars?|pounds?|euros?)\b(\s+)")
_INSIDE = re.compile(rf"(?:{_NUMBER}|[A-Z]|hundred|thousand|million|billion),?")  # a word of a read-back
_READ_BACK = re.compile(
    rf"\s+(?=(?:{_NUMBER}\s+(?:{_NUMBER}|hundred|thousand|million|billion)|[A-Z]\s+[A-Z])\b)")


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
    """Cut `sentence` in two (both parts >= min_words): before a read-back whose lead-in fits in
    `max_words`, else at the last clause boundary within it, else before a read-back, else
    after an amount's whole units; uncut when none of these exists."""
    words = sentence.split()
    if len(words) <= max_words:
        return [sentence]
    # A read-back's lead-in first, even where a digit group's comma comes within reach: the
    # lead-in is fixed text (cached), a group of digits is not.
    read_back = _read_back_start(sentence, min_words)
    if read_back is not None and len(sentence[: read_back.start()].split()) <= max_words:
        return [sentence[: read_back.start()].strip(), sentence[read_back.end() :].strip()]
    best = None
    for match in _CLAUSE_END.finditer(sentence):
        head_words = len(sentence[: match.start()].split())
        if head_words > max_words:
            break
        if head_words >= min_words and len(words) - head_words >= min_words:
            best = match
    if best is None:
        best = read_back
    if best is None:
        for m in _AMOUNT_UNIT_END.finditer(sentence):
            head = len(sentence[: m.start(1)].split())
            if min_words <= head <= max_words and len(words) - head >= min_words:
                return [sentence[: m.start(1)].strip(), sentence[m.end(1) :].strip()]
    if best is None:
        return [sentence]
    return [sentence[: best.start()].strip(), sentence[best.end() :].strip()]


def _read_back_start(sentence: str, min_words: int) -> re.Match[str] | None:
    """The space before the first number in `sentence`, if a phrase of `min_words` leads to it."""
    words = len(sentence.split())
    for match in _READ_BACK.finditer(sentence):
        before = sentence[: match.start()].split()
        if before and _INSIDE.fullmatch(before[-1]):
            continue  # never inside a number or reference: the caller must hear it whole
        if len(before) >= min_words and words - len(before) >= min_words:
            return match
    return None
