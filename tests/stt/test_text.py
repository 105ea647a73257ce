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


def test_a_sentence_whisper_starts_again_is_cut_where_it_restarts() -> None:
    from stt.whisper_backend import without_restart

    assert without_restart("How do I change my address? How do") == "How do I change my address?"
    assert without_restart("What's the weather tomorrow What's the") == "What's the weather tomorrow"
    assert without_restart("press one for sales press two for help") == "press one for sales press two for help"
    assert without_restart("no no no") == "no no no"
