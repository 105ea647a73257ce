"""Word error rate: edit distance over words; one spoken form written two ways is one word."""

from __future__ import annotations

from bot.bench.wer import edit_distance, wer


def test_edit_distance_counts_substitutions_deletions_insertions():
    assert edit_distance("a b c".split(), "a x c d".split()) == 2
    assert edit_distance([], "a b".split()) == 2
    assert edit_distance("a b".split(), []) == 2


def test_corpus_wer_is_total_edits_over_reference_words():
    assert wer([("a b c d", "a b c d"), ("a b", "a")]) == 1 / 6
    assert wer([]) == 0.0


def test_spellings_and_written_alternates_of_one_spoken_form_match():
    assert wer([("i do not recognise it", "i do not recognize it")]) == 0
    assert wer([("i cannot see it", "i can not see it")]) == 0
    assert wer([("okay goodbye then", "ok good bye then")]) == 0
    assert wer([("all right", "alright")]) == 0
    # ... but a different word still counts
    assert wer([("i cannot see it", "i can see it")]) == 0.25
    assert wer([("okay goodbye", "okay good")]) == 0.5
