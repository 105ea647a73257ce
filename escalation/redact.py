"""Redaction of payment and identity data in transcripts, slots and logs.

Numbers are found as runs of digits or spoken digit words ("four one one one",
"double four"), so recognizer output is covered as well as typed text. A run becomes:
a card number when it has 13-19 digits and passes the Luhn check (or follows a word like
"card"); a CVV, sort code, account number or PIN when the words just before it say so;
a sort code whenever it is written as 12-34-56. Dates are redacted when they follow
"born", "date of birth" or the like.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_WORD_DIGITS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
_DIGIT_WORD = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
_TOKEN = rf"(?:(?:double|triple)[ -]+(?:{_DIGIT_WORD}|\d)\b|\d+|{_DIGIT_WORD}\b)"
_RUN = re.compile(rf"(?<![\w]){_TOKEN}(?:[ \t]*-?[ \t]*{_TOKEN})*", re.IGNORECASE)
_SORT_CODE_FORMAT = re.compile(r"^\d{2}-\d{2}-\d{2}$")

# The keyword nearest before a number decides what it is; a window keeps it local.
_CONTEXT_WINDOW = 48
_KEYWORDS = [
    # "sort code" also ends in "code": listed first, it wins the tie with the CVV's "code".
    ("sort", re.compile(r"\bsort(?:ing)? ?code\b|\bsort\b")),
    ("cvv", re.compile(r"\b(?:cvv2?|cvc2?|cv2|security (?:code|number|digits)|three[- ]digit|3[- ]digit|back of (?:the|my) card|code)\b")),
    ("account", re.compile(r"\baccount\b|\bacc(?:t)?\.? ?(?:no|number)\b|\biban\b")),
    ("pin", re.compile(r"\bpin\b|\bpasscode\b")),
    ("dob", re.compile(r"\bborn\b|\bbirth(?:day|date)?\b|\bd\.?o\.?b\b")),
    ("card", re.compile(r"\b(?:card|visa|mastercard|amex|debit|credit|long number)\b")),
]

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_ORDINAL = (r"(?:(?:twenty|thirty)[ -])?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
            r"|tenth|eleventh|twelfth|(?:thir|four|fif|six|seven|eigh|nine)teenth|twentieth|thirtieth")
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL})"
_YEAR = r"(?:\d{4}|\d{2}|(?:nineteen|twenty)(?:[ -][a-z]+){1,2})"
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}"
    rf"|{_DAY}(?: of)? {_MONTH}(?:,? {_YEAR})?"
    rf"|{_MONTH} {_DAY}(?:,? {_YEAR})?)\b",
    re.IGNORECASE,
)

SENSITIVE_SLOT_WORDS = ("card", "cvv", "cvc", "security", "account", "sort", "birth", "dob", "pin")


def luhn_valid(digits: str) -> bool:
    """True when a string of digits passes the Luhn (mod 10) check used by card numbers."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def spoken_digits(run: str) -> str:
    """The digits a run like "four one double one 23" stands for ("4111123")."""
    out: list[str] = []
    words = re.findall(r"double|triple|\d+|[a-z]+", run.lower())
    repeat = 1
    for word in words:
        if word in ("double", "triple"):
            repeat = 2 if word == "double" else 3
            continue
        digits = word if word.isdigit() else _WORD_DIGITS.get(word, "")
        if digits:
            out.append(digits[0] * repeat + digits[1:] if repeat > 1 else digits)
        repeat = 1
    return "".join(out)


def _nearest_keyword(before: str) -> str | None:
    window = before[-_CONTEXT_WINDOW:].lower()
    best: tuple[int, str] | None = None
    for name, pattern in _KEYWORDS:
        for match in pattern.finditer(window):
            if best is None or match.end() > best[0]:
                best = (match.end(), name)
    return best[1] if best else None


def _classify(run: str, digits: str, before: str) -> str | None:
    n = len(digits)
    keyword = _nearest_keyword(before)
    if 13 <= n <= 19 and luhn_valid(digits):
        return f"[CARD ****{digits[-4:]}]"
    if _SORT_CODE_FORMAT.match(run.strip()):
        return "[SORT CODE]"
    if keyword == "card" and n >= 12:
        return "[CARD]"
    if keyword == "cvv" and 3 <= n <= 4:
        return "[CVV]"
    if keyword == "sort" and n == 6:
        return "[SORT CODE]"
    if keyword == "account" and 6 <= n <= 18:
        return "[ACCOUNT]"
    if keyword == "pin" and 4 <= n <= 6:
        return "[PIN]"
    if keyword == "dob" and n in (6, 8):
        return "[DATE OF BIRTH]"
    if n >= 13:  # a long number that missed the Luhn check is still likely a card
        return "[NUMBER]"
    return None


_MAYBE_SENSITIVE = re.compile(rf"\d|\b{_DIGIT_WORD}\b|\b{_MONTH}\b", re.IGNORECASE)


def redact(text: str) -> str:
    """The text with card numbers, CVVs, sort codes, account numbers, PINs and birth dates masked."""
    if not text or not _MAYBE_SENSITIVE.search(text):
        return text  # the common case for log lines: nothing that could be a number or a date
    pieces: list[tuple[int, int, str]] = []
    for match in _DATE.finditer(text):
        if _nearest_keyword(text[: match.start()]) == "dob":
            pieces.append((match.start(), match.end(), "[DATE OF BIRTH]"))
    taken = [(a, b) for a, b, _ in pieces]
    for match in _RUN.finditer(text):
        start, end = match.span()
        if any(a < end and start < b for a, b in taken):
            continue
        run = match.group(0)
        digits = spoken_digits(run)
        label = _classify(run, digits, text[:start]) if digits else None
        if label:
            pieces.append((start, end, label))
    if not pieces:
        return text
    out, pos = [], 0
    for start, end, label in sorted(pieces):
        out.append(text[pos:start])
        out.append(label)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def mask_value(value: Any) -> str:
    """A sensitive value shown as its last four characters at most: "****5678"."""
    text = re.sub(r"\s", "", str(value))
    digits = spoken_digits(text) or text
    return "****" + digits[-4:] if len(digits) > 4 else "****"


def redact_slots(slots: Mapping[str, Any]) -> dict[str, Any]:
    """Slots with sensitive-sounding names masked and free text redacted."""
    out: dict[str, Any] = {}
    for name, value in slots.items():
        if value is None:
            out[name] = None
        elif any(word in name.lower() for word in SENSITIVE_SLOT_WORDS):
            out[name] = mask_value(value)
        elif isinstance(value, str):
            out[name] = redact(value)
        else:
            out[name] = value
    return out


_READ_BACK = re.compile(rf"(?<![\w]){_TOKEN}(?:[\s,.;:-]*{_TOKEN})*", re.IGNORECASE)


def redact_values(text: str, values: list[str], label: str = "[ACCOUNT NUMBER]") -> str:
    """`text` with every number that is one of `values` (the caller's sensitive slots), or
    4+ digits of one, masked: however it was said or read back ("1, 2, 3, 4", "one two three
    four"). `redact` cannot know these without a keyword before them."""
    secrets = [d for d in (re.sub(r"\D", "", str(v)) for v in values) if len(d) >= 4]
    if not text or not secrets:
        return text

    def mask(match: re.Match[str]) -> str:
        digits = spoken_digits(match.group(0))
        hit = len(digits) >= 4 and any(digits in s or s in digits for s in secrets)
        return label if hit else match.group(0)

    return _READ_BACK.sub(mask, text)
