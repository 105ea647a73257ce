"""Text normalisation for the ear: what a reply says, written the way it should be spoken.

Amounts ("$12.50" -> "twelve dollars and fifty cents"), reference, account and phone numbers
(read digit by digit, in groups, with a pause between groups), dates, times, percentages,
ordinals and common abbreviations. Number words come from `num2words`.
Order matters: abbreviations first (their dots are not sentence ends), then the patterns
that contain numbers from the most specific to the plain number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from num2words import num2words

MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
]
_MONTH_ABBR = {m[:3].lower(): m for m in MONTHS} | {"sept": "September"}
_DAYS = {
    "mon": "Monday", "tue": "Tuesday", "tues": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
    "thur": "Thursday", "thurs": "Thursday", "fri": "Friday", "sat": "Saturday", "sun": "Sunday",
}
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
_SCALES = {"k": "thousand", "m": "million", "mn": "million", "bn": "billion",
           "million": "million", "billion": "billion", "thousand": "thousand"}
# Abbreviations whose dot is not a sentence end (matched case-sensitively, whole words).
_ABBREVIATIONS = {
    "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "vs.": "versus",
    "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz", "Dr.": "Doctor", "Prof.": "Professor",
    "Jr.": "Junior", "Sr.": "Senior", "Ave.": "Avenue", "Rd.": "Road", "Blvd.": "Boulevard",
    "Apt.": "Apartment", "Dept.": "Department", "approx.": "approximately", "Approx.": "Approximately",
    "Inc.": "Incorporated", "Ltd.": "Limited", "Corp.": "Corporation",
    "min.": "minutes", "mins.": "minutes", "hrs.": "hours", "sec.": "seconds", "ext.": "extension",
    "Ext.": "extension", "tel.": "telephone", "Tel.": "telephone", "a.m.": "AM", "p.m.": "PM",
}
_TITLES = {"Mr.", "Mrs.", "Ms.", "Dr.", "Prof."}
_WORD_ABBREVIATIONS = {  # without a dot, whole words only
    "mins": "minutes", "hrs": "hours", "approx": "approximately", "ext": "extension",
    "24/7": "twenty-four seven", "&": "and", "w/": "with", "@": "at",
}
_LETTER_NAMES = {"A": "ay"}  # espeak-ng reads a lone "A" between letters as the article
_DIGITS = [num2words(d) for d in range(10)]


def _words(number: int | Decimal) -> str:
    # "one thousand, two hundred" -> no comma: commas are pauses for the ear.
    return num2words(number).replace(",", "")


def _cardinal(text: str) -> str:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return text
    return _words(int(value) if value == value.to_integral_value() and "." not in text else value)


def _year(year: int) -> str:
    return num2words(year, to="year").replace(",", "")


def _ordinal(day: int) -> str:
    return num2words(day, to="ordinal")


def read_digits(digits: str) -> str:
    """Digits one by one in groups of three or four: "5551234567" -> "five five five, ..."."""
    groups: list[str] = []
    n = len(digits)
    if n <= 4:
        groups = [digits]
    elif n % 4 == 0 and n != 12:
        groups = [digits[i : i + 4] for i in range(0, n, 4)]
    else:
        cut = n - (4 if n % 3 == 1 else 2 if n % 3 == 2 else 3)
        groups = [digits[i : i + 3] for i in range(0, cut, 3)] + [digits[cut:]]
    return ", ".join(" ".join(_DIGITS[int(d)] for d in g) for g in groups)


def _spell_group(group: str) -> str:
    parts = re.findall(r"[A-Za-z]+|\d+", group)
    spoken = []
    for part in parts:
        if part.isdigit():
            spoken.append(read_digits(part))
        else:
            spoken.append(" ".join(_LETTER_NAMES.get(c, c) for c in part.upper()))
    return ", ".join(spoken)


def _reference(match: re.Match[str]) -> str:
    groups = [g for g in re.split(r"[\s\-/.()+]+", match.group(0)) if g]
    return ", ".join(_spell_group(g) for g in groups) + ","


def _money(match: re.Match[str]) -> str:
    sign, symbol, amount, scale = match.group("sign"), match.group("cur"), match.group("amt"), match.group("scale")
    one, many, cent, cents = _CURRENCIES[symbol]
    amount = amount.replace(",", "")
    minus = "minus " if sign else ""
    if scale:
        return f"{minus}{_cardinal(amount)} {_SCALES[scale.lower()]} {many}"
    whole, _, frac = amount.partition(".")
    units = int(whole or 0)
    sub = int((frac + "0")[:2]) if frac else 0
    spoken = []
    if units or not sub:
        spoken.append(f"{_words(units)} {one if units == 1 else many}")
    if sub:
        spoken.append(f"{_words(sub)} {cent if sub == 1 else cents}")
    return minus + " and ".join(spoken)


def _time(match: re.Match[str]) -> str:
    hour, minute = int(match.group("h")), int(match.group("m") or 0)
    suffix = (match.groupdict().get("ap") or "").lower().replace(".", "")
    if hour > 23 or minute > 59:
        return match.group(0)
    if suffix:
        ap = "AM" if suffix.startswith("a") else "PM"
    elif match.group("m") is None:
        return match.group(0)
    else:
        ap = "AM" if hour < 12 else "PM"
        if hour == 0 and minute == 0:
            return "midnight"
        if hour == 12 and minute == 0:
            return "noon"
    hour12 = hour % 12 or 12
    if minute == 0:
        return f"{_words(hour12)} {ap}" if suffix or hour not in (0, 12) else f"{_words(hour12)} o'clock"
    mins = f"oh {_words(minute)}" if minute < 10 else _words(minute)
    return f"{_words(hour12)} {mins} {ap}"


def _abbreviation(match: re.Match[str]) -> str:
    abbr = match.group(1)
    rest = match.string[match.end() :]
    # "open until 9 a.m. Then..." keeps its sentence end; "Dr. Smith" does not get one.
    ends_sentence = abbr not in _TITLES and re.match(r"\s*$|\s+[A-Z]", rest) is not None
    return _ABBREVIATIONS[abbr] + ("." if ends_sentence else "")


def _range(match: re.Match[str]) -> str:
    low, high = match.group(1), match.group(2)
    if int(low) >= int(high) or (len(low) == 3 and len(high) == 4):
        return match.group(0)
    return f"{low} to {high}"


def _date(month: int, day: int, year: int | None) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    spoken = f"{MONTHS[month - 1]} {_ordinal(day)}"
    return f"{spoken}, {_year(year)}" if year is not None else spoken


def _full_year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if len(text) == 2 else year


class Normalizer:
    """Rewrites reply text for speech. `date_order` reads 03/04/2025 as "mdy" or "dmy"."""

    def __init__(self, date_order: str = "mdy") -> None:
        if date_order not in ("mdy", "dmy"):
            raise ValueError(f"date_order must be 'mdy' or 'dmy', got {date_order!r}")
        self.date_order = date_order
        self._rules = self._build()

    def __call__(self, text: str) -> str:
        return self.normalize(text)

    def normalize(self, text: str) -> str:
        text = text.translate(_PUNCTUATION)
        has_digits = any(c.isdigit() for c in text)
        for pattern, replace, needs_digits in self._rules:
            if has_digits or not needs_digits:
                text = pattern.sub(replace, text)
        text = re.sub(r"\s+([,.!?;:])", r"\1", text)
        text = re.sub(r",([.!?;:,])", r"\1", text)
        text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", text)  # "p.m." at a sentence end
        return re.sub(r"\s+", " ", text).strip().rstrip(",").strip()

    def _numeric_date(self, m: re.Match[str]) -> str:
        a, b = int(m.group("a")), int(m.group("b"))
        month, day = (a, b) if self.date_order == "mdy" else (b, a)
        return _date(month, day, _full_year(m.group("y"))) or m.group(0)

    def _build(self) -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], str], bool]]:
        month_names = "|".join(MONTHS + [m.title() for m in _MONTH_ABBR] + ["Sept"])
        abbr = "|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len, reverse=True))
        word_abbr = "|".join(re.escape(a) for a in sorted(_WORD_ABBREVIATIONS, key=len, reverse=True))
        days = "|".join(d.title() for d in _DAYS)

        def month(name: str) -> int:
            name = name.rstrip(".").lower()
            return MONTHS.index(_MONTH_ABBR.get(name[:4] if name.startswith("sept") else name[:3]))

        def month_day(m: re.Match[str]) -> str:
            return _date(month(m.group("mon")) + 1, int(m.group("d")), _full_year(m.group("y"))) or m.group(0)

        def day_month(m: re.Match[str]) -> str:
            mon = MONTHS[month(m.group("mon"))]
            year = _full_year(m.group("y"))
            spoken = f"the {_ordinal(int(m.group('d')))} of {mon}"
            return f"{spoken}, {_year(year)}" if year else spoken

        rules: list[tuple[str, Callable[[re.Match[str]], str]]] = [
            (rf"(?<![\w.])({abbr})(?=\s|$|[,;:!?)])", _abbreviation),
            (rf"\b({days})\.?\s*-\s*({days})\b",
             lambda m: f"{_DAYS[m.group(1).lower()]} to {_DAYS[m.group(2).lower()]}"),
            (rf"(?<!\w)({word_abbr})(?!\w)", lambda m: f" {_WORD_ABBREVIATIONS[m.group(1)]} "),
            (r"\bSt\.(?=\s+[A-Z])", lambda m: "Saint"),
            (r"\bSt\.", lambda m: "Street"),
            (r"\b(?:No|no|Nos)\.\s*(?=\d)|#(?=\d)", lambda m: "number "),
            # Amounts: $12.50, -$5, £1,200, €3.5m, $2 million
            (r"(?P<sign>-)?(?P<cur>[$£€])\s?(?P<amt>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
             r"(?:\s?(?P<scale>[kK]|mn|bn|[mM](?![a-z])|million|billion|thousand)\b)?", _money),
            # Dates: 2025-03-04, 03/04/2025, March 4(th)(, 2025), 4(th) March (2025)
            (r"\b(?P<y>\d{4})-(?P<a>\d{1,2})-(?P<b>\d{1,2})\b",
             lambda m: _date(int(m.group("a")), int(m.group("b")), int(m.group("y"))) or m.group(0)),
            (r"\b(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})\b", self._numeric_date),
            (rf"\b(?P<mon>{month_names})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{{4}})\b)?",
             month_day),
            (rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{month_names})\b\.?(?:,?\s+(?P<y>\d{{4}})\b)?",
             day_month),
            # Times: 9:05, 14:30, 9:30 am, 9am, 9 p.m. (a range "9:00-17:00" is "to")
            (r"\b(\d{1,2}(?::\d{2})?\s*(?:[AaPp]M)?)\s*-\s*(?=\d{1,2}(?::\d{2}|\s*[AaPp]M))",
             lambda m: f"{m.group(1)} to "),
            (r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>[AaPp]\.?[Mm])(?![\w])", _time),
            (r"\b(?P<h>\d{1,2}):(?P<m>\d{2})\b", _time),
            # Percentages and ordinals
            (r"(\d+(?:\.\d+)?)\s?%", lambda m: f"{_cardinal(m.group(1))} percent"),
            (r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: _ordinal(int(m.group(1)))),
            # Ranges: 3-5 days, 2020-2024 (not phone fragments such as 555-1234)
            (r"(?<![\w\-.,+()])(\d{1,4})\s?-\s?(\d{1,4})(?![\w\-]|[.,]\d)", _range),
            # Codes with letters and digits (CMP-2024-00123, AB12 345), then long digit runs
            # (account, phone and card numbers, possibly grouped: +1 (555) 123-4567).
            (r"(?<![\w-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]+(?:-[A-Z0-9]+)+(?![\w-])"
             r"|(?<![\w-])(?:[A-Z]+\d[A-Z0-9]*|\d+[A-Z][A-Z0-9]*)(?![\w-])", _reference),
            (r"(?<![\w.,])\+?(?:\(\d+\)|\d+)(?:[ \-.]?(?:\(\d+\)|\d+))*(?![\w])",
             lambda m: _reference(m) if len(re.sub(r"\D", "", m.group(0))) >= 5 else m.group(0)),
            # Plain numbers: 1,200  3.5  2025 (a year)  42
            (r"(?<![\w.])(19\d\d|20\d\d)(?![\w.,]\d)", lambda m: _year(int(m.group(1)))),
            (r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.])\d+(?:\.\d+)?", lambda m: _cardinal(m.group(0))),
        ]
        # Every rule after the "St." ones matches digits only: skipped for text without any.
        return [(re.compile(p), f, i >= 5) for i, (p, f) in enumerate(rules)]


_PUNCTUATION = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                              "\u2013": "-", "\u2014": ", ", "\u00a0": " ", "\u2026": "..."})

_DEFAULT = Normalizer()


def normalize(text: str) -> str:
    """Normalise with the default (US month/day/year) reading."""
    return _DEFAULT.normalize(text)
