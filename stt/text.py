"""Text normalisation shared by the language model and word error rate: lower-case words,
digits and symbols spelt out, annotations and punctuation removed."""

from __future__ import annotations

import re

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SYMBOLS = {
    "#": " pound ", "*": " star ", "%": " percent ", "&": " and ", "@": " at ", "+": " plus ",
    "=": " equals ", "$": " dollars ", "£": " pounds ", "€": " euros ",
}


_ORDINAL_ENDINGS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}


def number_words(n: int) -> str:
    """0-99 as words ("twenty eight"); larger numbers digit by digit."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    return " ".join(_ONES[int(d)] for d in str(n))


def ordinal_words(n: int) -> str:
    """1-99 as an ordinal ("twenty first", "fortieth"); larger ones digit by digit + "th"."""
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL_ENDINGS:
        words[-1] = _ORDINAL_ENDINGS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def normalise(text: str) -> str:
    """Lower-case words: no [stage directions] or (asides), digits and symbols spelt out.

    Rasa entity annotations `[text](entity)` / `[text]{...}` keep their text.
    """
    text = re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", text)
    text = re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", text)
    # "$50" is said "fifty dollars"; "1,000" is one number; "10th" an ordinal.
    text = re.sub(r"([$£€])\s?(\d[\d,.]*\d|\d)", r"\2 \1", text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(\d+)(st|nd|rd|th)\b", lambda m: f" {ordinal_words(int(m.group(1)))} ", text)
    for sym, word in _SYMBOLS.items():
        text = text.replace(sym, word)
    text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()))} ", text)
    text = text.lower().replace("-", " ").replace("’", "'")
    text = re.sub(r"[^a-z' ]+", " ", text)
    words = [w.strip("'") for w in text.split()]
    return " ".join(w for w in words if w)


_CONTRACTIONS = (
    (r"\bcan't\b|\bcannot\b", "can not"), (r"\bwon't\b", "will not"), (r"\bshan't\b", "shall not"),
    (r"\b(\w+)n't\b", r"\1 not"), (r"\bi'm\b", "i am"), (r"\b(\w+)'re\b", r"\1 are"),
    (r"\b(\w+)'ve\b", r"\1 have"), (r"\b(\w+)'ll\b", r"\1 will"),
    (r"\b(it|that|what|there|where|who|here|he|she|how)'s\b", r"\1 is"),
)


def expand_contractions(text: str) -> str:
    """ "I can't, it's gone" -> "i can not, it is gone" (lower-cased; callers say both)."""
    text = text.lower().replace("’", "'")
    for pattern, full in _CONTRACTIONS:
        text = re.sub(pattern, full, text)
    return text


_PUNCTUATION = re.compile(r"(?<!\d)[.,](?!\d)|[.,](?=\s|$)|[?!;:\"“”()\[\]]")


def without_punctuation(text: str) -> str:
    """A neural recognizer's written sentence as words, the way every recognizer reports
    them: "Yes, it's £2.50." -> "Yes it's £2.50" (the punctuation is the model's guess, and
    the dialogue's classifier reads a "?" as a feature)."""
    return " ".join(_PUNCTUATION.sub(" ", text).split())
