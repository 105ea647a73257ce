"""SSML-like breaks between digit groups, the same for every engine.

The normaliser reads references and numbers as groups joined by ", " ("C M P, two zero two
four, zero zero one"). Engines treat that comma differently (espeak-ng barely pauses, Piper
sometimes runs on), so the speech service cuts a sentence at those commas, has each group
synthesized (and cached: "zero zero one" recurs across calls) and streamed on its own, with
a fixed silence after it: the caller hears the grouping whichever voice is speaking.
"""

from __future__ import annotations

import re

_UNIT = r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ay|[A-Z])"
_GROUP_BREAK = re.compile(rf"\b({_UNIT}),\s+(?={_UNIT}\b)")
_MARK = "\x00"
_ENDS_IN_GROUP = re.compile(rf"\b{_UNIT},$")
_STARTS_WITH_GROUP = re.compile(rf"^{_UNIT}\b")


def split_at_group_breaks(text: str) -> list[str]:
    """`text` cut at the commas between digit or letter groups (each part keeps its words)."""
    marked = _GROUP_BREAK.sub(lambda m: m.group(1) + _MARK, text)
    return [part.strip() for part in marked.split(_MARK) if part.strip()]


def chunks(sentence: str, pause_ms: int) -> list[tuple[str, int]]:
    """(text, silence in ms after it) for each group of `sentence`; one chunk if `pause_ms` is 0."""
    parts = split_at_group_breaks(sentence) if pause_ms else [sentence]
    return [(part, pause_ms if i < len(parts) - 1 else 0) for i, part in enumerate(parts)]


def group_continues(sentence: str, following: str) -> bool:
    """Whether `following` goes on with the digit groups `sentence` ended with (the sentence
    splitter cut a long first sentence at a group's comma): the pause belongs there too."""
    return bool(_ENDS_IN_GROUP.search(sentence.rstrip())) and bool(_STARTS_WITH_GROUP.match(following))
