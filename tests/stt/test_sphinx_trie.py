"""Reading pocketsphinx's binary trie language model: the n-grams and scores it stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pocketsphinx
import pytest

from stt.language_model import KneserNey, _arpa_to_binary, mixed_ngrams, tokenize, write_arpa
from stt.sphinx_trie import read_trigram_trie

GENERIC = Path(pocketsphinx.get_model_path()) / "en-us" / "en-us.lm.bin"
CORPUS = [
    "i lost my card", "i lost my wallet", "my card was stolen", "please block my card",
    "what is my balance", "i want to check my balance", "i want a new card",
]


def test_reads_back_the_ngrams_written(tmp_path):
    grams = mixed_ngrams(KneserNey(tokenize(CORPUS, None)), None, 1.0)
    arpa = tmp_path / "small.arpa"
    write_arpa(grams, arpa)
    _arpa_to_binary(arpa, tmp_path / "small.lm.bin")
    trie = read_trigram_trie(tmp_path / "small.lm.bin")
    assert set(trie.words) == {g[0] for g in grams[1]}
    listed = [{tuple(trie.words[i] for i in row) for row in table.tolist()}
              for table in (trie.bigrams, trie.trigrams)]
    assert listed[0] >= set(grams[2])  # the trie may add bigrams that make trigrams reachable
    assert listed[1] == set(grams[3])
    lm = pocketsphinx.NGramModel.readfile(str(tmp_path / "small.lm.bin"))
    for row, score in zip(trie.trigrams.tolist(), trie.trigram_score):
        assert score == pytest.approx(lm.prob([trie.words[i] for i in reversed(row)]), abs=1)


def test_scores_of_the_generic_model_match_pocketsphinx():
    trie = read_trigram_trie(GENERIC)
    assert len(trie.words) > 70000 and len(trie.bigrams) > 2_000_000 and len(trie.trigrams) > 1_500_000
    lm = pocketsphinx.NGramModel.readfile(str(GENERIC))
    rng = np.random.default_rng(7)
    for table, scores in ((trie.bigrams, trie.bigram_score), (trie.trigrams, trie.trigram_score)):
        for k in rng.choice(len(table), 300, replace=False):
            words = [trie.words[i] for i in reversed(table[k].tolist())]
            assert scores[k] == pytest.approx(lm.prob(words), abs=1), words
    for k in rng.choice(len(trie.words), 100, replace=False):
        assert trie.unigram_score[k] == pytest.approx(lm.prob([trie.words[k]]), abs=1)


def test_a_file_that_is_not_a_trie_model_is_refused(tmp_path):
    junk = tmp_path / "junk.lm.bin"
    junk.write_bytes(b"not a language model")
    with pytest.raises(ValueError, match="not a pocketsphinx trie"):
        read_trigram_trie(junk)
    cut = tmp_path / "cut.lm.bin"
    cut.write_bytes(GENERIC.read_bytes()[:1_000_000])
    with pytest.raises(ValueError, match="truncated"):
        read_trigram_trie(cut)
