"""Text as recognizers report it and as word error rate compares it."""

from __future__ import annotations

from stt.text import normalise, ordinal_words, without_punctuation


def test_a_written_sentence_becomes_words() -> None:
    assert without_punctuation("How long does a transfer take?") == "How long does a transfer take"
    assert without_punctuation("Yes, it's £2.50.") == "Yes it's £2.50"
    assert without_punctuation("1,000 pounds, please.") == "1,000 pounds please"
    assert without_punctuation("4, 7, 1, 0.") == "4 7 1 0"
    assert without_punctuation('He said "no" (twice)!') == "He said no twice"


def test_numbers_are_compared_as_spoken() -> None:
    assert normalise("the 10th") == "the tenth"
    assert normalise("21st and 40th") == "twenty first and fortieth"
    assert normalise("the 3rd, 12th and 5th") == "the third twelfth and fifth"
    assert normalise("$50 now") == "fifty dollars now"
    assert normalise("1,000") == normalise("1000")
    assert ordinal_words(8) == "eighth" and ordinal_words(90) == "ninetieth"
