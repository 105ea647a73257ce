"""Digits said aloud ("four two oh seven", "double five") or typed, and read back."""

from __future__ import annotations

import re

WORDS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "nil": "0",
    "one": "1", "two": "2", "to": "2", "too": "2", "three": "3", "four": "4", "for": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
REPEATS = {"double": 2, "triple": 3}
TOKEN = re.compile(r"[a-z]+|\d")


def spoken_digits(text: str) -> str:
    """The digits in a caller's words: "double five 3 oh" -> "5530"; "" when none.

    Words that are not digits are skipped, so "it's four two one" works; homophones
    ("to", "for") only count next to other digits.
    """
    tokens = TOKEN.findall(text.lower())
    out: list[str] = []
    repeat = 1
    for i, token in enumerate(tokens):
        if token in REPEATS:
            repeat = REPEATS[token]
            continue
        digit = token if token.isdigit() else WORDS.get(token)
        if digit and token in ("to", "too", "for", "o"):
            neighbours = tokens[max(0, i - 1) : i] + tokens[i + 1 : i + 2]
            if not any(n.isdigit() or (n in WORDS and n not in ("to", "too", "for")) for n in neighbours):
                digit = None
        if digit:
            out.append(digit * repeat)
        repeat = 1
    return "".join(out)


def read_back(digits: str) -> str:
    """Digit by digit for text to speech: "4710" -> "4, 7, 1, 0"."""
    return ", ".join(digits)
