"""The domain language model: Kneser-Ney estimates, ARPA/binary output pocketsphinx reads,
rebuild only on change, mixing with the generic model."""

from __future__ import annotations

import math
from pathlib import Path

import pocketsphinx
import pytest

from stt.language_model import (
    BOS,
    EOS,
    GenericNgrams,
    KneserNey,
    build_domain_lm,
    mixed_ngrams,
    pronouncing_dictionary,
    tokenize,
)

CORPUS = [
    "I lost my card",
    "I lost my wallet",
    "my card was stolen",
    "my card is blocked",
    "please block my card",
    "what is my balance",
    "what is the fee",
    "I want to speak to an agent",
    "I want to check my balance",
    "I want a new card",
    "zorblax my card",  # a word pocketsphinx cannot say
]
LOG10_PER_UNIT = math.log10(1.0001)  # pocketsphinx reports log-probabilities in base 1.0001


def test_kneser_ney_distributions_sum_to_one():
    model = KneserNey(tokenize(CORPUS, None), order=3)
    words = [w for w in model.vocab if w != BOS]
    for context in [(), ("my",), ("lost",), ("i", "want"), ("my", "card"), ("never", "seen")]:
        total = sum(model.p((*context, w)) for w in words)
        assert abs(total - 1.0) < 1e-9, (context, total)
    # Seen continuations beat unseen ones; continuation counts make "card" likely after "my".
    assert model.p(("my", "card")) > model.p(("my", "wallet")) > model.p(("my", "fee"))
    assert model.p(("i", "want", "to")) > 0.4


def test_modified_discounts_come_from_count_of_counts():
    model = KneserNey(tokenize(CORPUS * 3 + CORPUS[:4], None), order=3)
    for d1, d2, d3 in model.d[1:]:
        assert 0 < d1 <= 2 and 0 < d2 <= 3 and 0 < d3 <= 4


def test_build_writes_a_model_pocketsphinx_reads_with_the_same_probabilities(tmp_path):
    out = build_domain_lm(
        CORPUS, tmp_path / "lm" / "domain.lm.bin", phone_phrases=False, generic_weight=0
    )
    arpa = out.with_suffix(".arpa")
    assert out.is_file() and arpa.read_text().startswith("\\data\\")
    assert "zorblax" not in arpa.read_text() and "<unk>" not in arpa.read_text()
    model = KneserNey(tokenize(CORPUS, pronouncing_dictionary()))
    lm = pocketsphinx.NGramModel.readfile(str(out))
    for gram in [("i", "lost", "my"), ("my", "card", EOS), ("please", "block"), ("balance",),
                 ("want", "to", "block")]:  # the last one backs off
        ours = math.log10(model.p(gram))
        theirs = lm.prob(list(reversed(gram))) * LOG10_PER_UNIT
        assert abs(ours - theirs) < 0.01, (gram, ours, theirs)
    decoder = pocketsphinx.Decoder(lm=str(out), loglevel="FATAL")
    assert decoder.lookup_word("balance")


def test_rebuilds_only_when_the_sentences_change(tmp_path):
    out = tmp_path / "domain.lm.bin"
    build_domain_lm(CORPUS, out, phone_phrases=False, generic_weight=0)
    stamp = out.stat().st_mtime_ns
    build_domain_lm(CORPUS, out, phone_phrases=False, generic_weight=0)
    assert out.stat().st_mtime_ns == stamp
    build_domain_lm([*CORPUS, "where is my refund"], out, phone_phrases=False, generic_weight=0)
    assert out.stat().st_mtime_ns != stamp
    lm = pocketsphinx.NGramModel.readfile(str(out))
    assert lm.prob(["refund", "my"]) * LOG10_PER_UNIT > -3
    with pytest.raises(ValueError, match="no training sentences"):
        build_domain_lm(["zorblax", "..."], tmp_path / "e.lm.bin", phone_phrases=False)


def test_phone_phrases_are_added_by_default(tmp_path):
    out = build_domain_lm(CORPUS, tmp_path / "domain.lm.bin", generic_weight=0)
    lm = pocketsphinx.NGramModel.readfile(str(out))
    assert lm.prob(["agent", "an", "to"]) * LOG10_PER_UNIT > -2  # from the corpus
    assert lm.prob(["again", "that", "say"]) * LOG10_PER_UNIT > -2  # from phone_phrases.txt
    # a filled template: "my {card} has not arrived {when}"
    assert lm.prob(["arrived", "not", "has"]) * LOG10_PER_UNIT > -2
    assert lm.prob(["card", "contactless", "my"]) * LOG10_PER_UNIT > -2


def test_contractions_are_also_learnt_spelt_out(tmp_path):
    out = build_domain_lm(
        ["I can't see the payment", "it's not mine"], tmp_path / "c.lm.bin",
        phone_phrases=False, generic_weight=0,
    )
    lm = pocketsphinx.NGramModel.readfile(str(out))
    for gram in (["not", "can", "i"], ["see", "not", "can"], ["not", "is", "it"], ["see", "can't"]):
        assert lm.prob(gram) * LOG10_PER_UNIT > -1.5, gram


@pytest.mark.slow
def test_mixing_with_the_generic_model(tmp_path):
    out = build_domain_lm(
        CORPUS, tmp_path / "mix.lm.bin", generic_weight=0.3, generic_top_words=2000,
        phone_phrases=False,
    )
    domain_only = build_domain_lm(
        CORPUS, tmp_path / "dom.lm.bin", phone_phrases=False, generic_weight=0
    )
    mix = pocketsphinx.NGramModel.readfile(str(out))
    dom = pocketsphinx.NGramModel.readfile(str(domain_only))
    # A word only the generic model knows is now likely; the domain's n-grams still dominate.
    assert mix.prob(["conference"]) * LOG10_PER_UNIT > -6 > dom.prob(["conference"]) * LOG10_PER_UNIT
    assert mix.prob(["card", "my"]) * LOG10_PER_UNIT > -1.5
    # The generic share is the generic model's own probability, trigrams included.
    generic = pocketsphinx.NGramModel.readfile(
        str(Path(pocketsphinx.get_model_path()) / "en-us" / "en-us.lm.bin")
    )
    for gram in (["conference"], ["conference", "the"], ["conference", "the", "in"]):
        floor = math.log10(0.3) + generic.prob(gram) * LOG10_PER_UNIT
        assert mix.prob(gram) * LOG10_PER_UNIT >= floor - 0.01, gram
    arpa = out.with_suffix(".arpa").read_text().split("\\1-grams:")[1].split("\\2-grams:")[0]
    total = sum(10 ** float(line.split()[0]) for line in arpa.strip().splitlines())
    assert abs(total - 1.0) < 0.01  # the mixed unigrams are a distribution


@pytest.mark.slow
def test_the_generic_model_speaks_after_histories_the_domain_rarely_continues():
    tokens = tokenize(CORPUS, pronouncing_dictionary())
    generic = GenericNgrams.load(500, keep={w for s in tokens for w in s})
    assert len(generic.grams[3]) > 10000  # the generic trigrams among its top words
    model = KneserNey(tokens, vocab_size=len(generic.vocab))
    grams = mixed_ngrams(model, generic, 0.7, prior=8.0)
    seen = ("i", "want", "to")
    c = model.history_count[("i", "want")]
    assert c == 3
    lam = 0.7 * c / (c + 8.0)
    assert grams[3][seen][0] == pytest.approx(lam * model.p(seen) + (1 - lam) * generic.p(seen))
    unseen = next(g for g in sorted(generic.grams[3]) if g[:2] not in model.history_count)
    assert grams[3][unseen][0] == pytest.approx(generic.p(unseen))
    # With no prior, the domain keeps its share everywhere.
    flat = mixed_ngrams(model, generic, 0.7)
    assert flat[3][unseen][0] == pytest.approx(0.7 * model.p(unseen) + 0.3 * generic.p(unseen))
    # Every context is still a distribution, as the ARPA backoff reads it.
    words = [g[0] for g in grams[1] if g[0] != BOS]
    for context in [("my",), ("i", "want"), unseen[:2]]:
        total = sum(_arpa_prob(grams, (*context, w)) for w in words)
        assert total == pytest.approx(1.0, abs=1e-3), context


def _arpa_prob(grams, gram):
    """P(last word | the others) with ARPA backoff over {gram: (probability, backoff)}."""
    if gram in grams[len(gram)]:
        return grams[len(gram)][gram][0]
    bow = grams[len(gram) - 1].get(gram[:-1], (0.0, 1.0))[1] or 1.0
    return bow * _arpa_prob(grams, gram[1:])


def test_speech_lm_text_has_responses_and_datasets_but_no_benchmark_sentence():
    from bot.bench.corpus import caller_sentences
    from nlu.training import speech_lm_sentences
    from stt.text import normalise

    root = Path(__file__).resolve().parents[2]
    sentences = speech_lm_sentences(root / "nlu", root / "nlu" / "datasets")
    words = {normalise(s) for s in sentences}
    assert not words & {normalise(s) for s in caller_sentences()}  # held out of the LM
    assert "how can i help you today" in words  # a bot response, sentence by sentence
    # CLINC150 banking requests and NLU++ banking (the datasets are in the repository)
    assert "how do i locate my routing number for tax reasons" in words
    assert "how do i locate my card" in words  # Banking77's test split
    assert len(sentences) > 15000
