"""Domain language model for pocketsphinx, built from the bot's training sentences.

An interpolated modified Kneser-Ney trigram model (Chen & Goodman) over the normalised
sentences, optionally mixed with pocketsphinx's generic US English model (its n-grams among
its most frequent words, read from its binary file by `stt.sphinx_trie`), with a mixing
weight that leans on the generic model after histories the domain text rarely continues.
Written as ARPA and converted to pocketsphinx's binary format so each call's decoder loads
it in milliseconds.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from stt.phrase_templates import load_templates
from stt.sphinx_trie import LOG10_PER_UNIT, read_trigram_trie
from stt.text import expand_contractions, normalise

log = logging.getLogger(__name__)

DEFAULT_LM_PATH = Path("models/domain-lm/domain.lm.bin")
PHONE_PHRASES = Path(__file__).with_name("phone_phrases.txt")
BOS, EOS, UNK = "<s>", "</s>", "<unk>"
VERSION = "kn3-mix-5"  # bump when the method changes, so models are rebuilt
Ngram = tuple[str, ...]


# ---------------------------------------------------------------- Kneser-Ney estimation


def _discounts(counts: Iterable[int]) -> tuple[float, float, float]:
    """Modified KN discounts D1, D2, D3+ from the count-of-counts (Chen & Goodman 1998)."""
    n = Counter(min(c, 4) for c in counts)
    n1, n2, n3, n4 = (n.get(i, 0) for i in (1, 2, 3, 4))
    if not (n1 and n2 and n3 and n4):
        return 0.5, 1.0, 1.5  # too little data for the estimate
    y = n1 / (n1 + 2 * n2)
    d = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
    return tuple(min(max(x, 0.05), k + 1.0) for k, x in enumerate(d))  # type: ignore[return-value]


class KneserNey:
    """Interpolated modified Kneser-Ney n-gram model over tokenised sentences."""

    def __init__(self, sentences: Iterable[list[str]], order: int = 3, vocab_size: int = 0) -> None:
        self.order = order
        raw: Counter[Ngram] = Counter()
        self.history_count: Counter[Ngram] = Counter()  # how often each history was followed
        for words in sentences:
            tokens = [BOS, *words, EOS]
            for i in range(1, len(tokens)):
                raw[tuple(tokens[max(0, i - order + 1) : i + 1])] += 1
                for j in range(1, min(i, order - 1) + 1):
                    self.history_count[tuple(tokens[i - j : i])] += 1
        # Adjusted counts: raw for the highest order and for n-grams starting at <s>,
        # continuation counts (distinct left neighbours) for the lower orders.
        self.counts: list[dict[Ngram, int]] = [{} for _ in range(order + 1)]
        left: defaultdict[Ngram, int] = defaultdict(int)
        for gram, c in raw.items():
            for k in range(1, len(gram) + 1):
                sub = gram[-k:]
                if k == len(gram):
                    self.counts[k][sub] = self.counts[k].get(sub, 0) + c
        for k in range(order, 1, -1):
            for gram in self.counts[k]:
                left[gram[1:]] += 1
            for gram, c in left.items():
                if len(gram) == k - 1 and gram[0] != BOS:
                    self.counts[k - 1][gram] = c
            left.clear()
        self.counts[1].pop((BOS,), None)
        self.vocab = sorted({g[0] for g in self.counts[1]} | {EOS})
        self.vocab_size = max(vocab_size, len(self.vocab))
        self.d = [(0.0, 0.0, 0.0)] + [_discounts(self.counts[k].values()) for k in range(1, order + 1)]
        self.prob: list[dict[Ngram, float]] = [{} for _ in range(order + 1)]
        self.gamma: list[dict[Ngram, float]] = [{} for _ in range(order + 1)]
        self._estimate()

    def _estimate(self) -> None:
        for k in range(1, self.order + 1):
            totals: defaultdict[Ngram, int] = defaultdict(int)
            kinds: defaultdict[Ngram, list[int]] = defaultdict(lambda: [0, 0, 0])
            for gram, c in self.counts[k].items():
                totals[gram[:-1]] += c
                kinds[gram[:-1]][min(c, 3) - 1] += 1
            d1, d2, d3 = self.d[k]
            for ctx, total in totals.items():
                n1, n2, n3 = kinds[ctx]
                self.gamma[k][ctx] = (d1 * n1 + d2 * n2 + d3 * n3) / total
            for gram, c in self.counts[k].items():
                ctx = gram[:-1]
                discounted = max(c - (d1, d2, d3)[min(c, 3) - 1], 0.0) / totals[ctx]
                self.prob[k][gram] = discounted + self.gamma[k][ctx] * self.p(gram[1:], k - 1)

    def p(self, gram: Ngram, k: int | None = None) -> float:
        """P(last word | the words before it), interpolated down to a uniform distribution."""
        k = len(gram) if k is None else k
        gram = gram[-k:] if k else ()
        if k == 0:
            return 1.0 / self.vocab_size
        if gram in self.prob[k]:
            return self.prob[k][gram]
        return self.gamma[k].get(gram[:-1], 1.0) * self.p(gram[1:], k - 1)


# ---------------------------------------------------------------- generic model


class GenericNgrams:
    """pocketsphinx's generic trigram model, restricted to its most frequent words.

    Its n-grams are read from the binary model (`stt.sphinx_trie`); probabilities come from
    the loaded model itself (`NGramModel.prob`: exact, backoff included).
    """

    def __init__(self, lm: Any, uni: dict[str, float], grams: list[set[Ngram]], vocab: set[str]) -> None:
        self.lm = lm  # pocketsphinx.NGramModel
        self.uni = uni  # word -> log10 unigram probability
        self.grams = grams  # [unused, unigrams, bigrams, trigrams] among `vocab`
        self.vocab = vocab  # the words the mixed model may contain

    @classmethod
    def load(cls, top_words: int = 20000, keep: set[str] | frozenset[str] = frozenset()) -> GenericNgrams:
        """Read the model shipped with pocketsphinx; keep its `top_words` most probable words
        (plus `keep`) and the n-grams among them: a large vocabulary costs accuracy on the
        domain (more confusable words) and decoding time."""
        import numpy as np
        import pocketsphinx

        lm_bin = Path(pocketsphinx.get_model_path()) / "en-us" / "en-us.lm.bin"
        trie = read_trigram_trie(lm_bin)
        words = trie.words
        uni = {w: float(s) * LOG10_PER_UNIT for w, s in zip(words, trie.unigram_score) if w != BOS}
        ranked = sorted((w for w in uni if not w.startswith("<")), key=lambda w: -uni[w])
        allowed = set(ranked[:top_words]) | (set(keep) & set(uni)) | {BOS, EOS}
        inside = np.array([w in allowed for w in words])
        grams: list[set[Ngram]] = [set(), {(w,) for w in allowed if w in uni}]
        for table in (trie.bigrams, trie.trigrams):
            rows = table[inside[table].all(axis=1)]
            grams.append({tuple(words[i] for i in row) for row in rows.tolist()})
        lm = pocketsphinx.NGramModel.readfile(str(lm_bin))
        return cls(lm, uni, grams, allowed)

    def p(self, gram: Ngram) -> float:
        """P(last word | up to two words before it) in the generic model (0 if unknown)."""
        if gram[-1] not in self.uni:
            return 0.0
        return 10 ** (self.lm.prob(list(reversed(gram[-3:]))) * LOG10_PER_UNIT)


# ---------------------------------------------------------------- building and writing


def tokenize(sentences: Iterable[str], vocabulary: set[str] | None) -> list[list[str]]:
    """Normalised word lists; words outside `vocabulary` become <unk>."""
    out = []
    for text in sentences:
        words = normalise(text).split()
        if vocabulary is not None:
            words = [w if w in vocabulary else UNK for w in words]
        if any(w != UNK for w in words):
            out.append(words)
    return out


def pronouncing_dictionary() -> set[str]:
    """Words pocketsphinx can say (its CMU dictionary, variants folded)."""
    import pocketsphinx

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    words = set()
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.strip():
                words.add(line.split()[0].split("(")[0])
    return words


def write_arpa(grams: list[dict[Ngram, tuple[float, float | None]]], path: Path) -> None:
    """Write n-grams {gram: (probability, backoff weight or None)} per order as ARPA."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("\\data\\\n")
        for k in range(1, len(grams)):
            fh.write(f"ngram {k}={len(grams[k])}\n")
        for k in range(1, len(grams)):
            fh.write(f"\n\\{k}-grams:\n")
            for gram, (prob, bow) in sorted(grams[k].items()):
                lp = -99.0 if prob <= 0 else math.log10(prob)
                line = f"{lp:.5f}\t{' '.join(gram)}"
                if bow is not None:
                    line += f"\t{math.log10(bow) if bow > 0 else -99.0:.5f}"
                fh.write(line + "\n")
        fh.write("\n\\end\\\n")


def mixed_ngrams(
    domain: KneserNey, generic: GenericNgrams | None, weight: float, prior: float = 0.0
) -> list[dict[Ngram, tuple[float, float | None]]]:
    """N-grams of λ(h) x domain + (1 - λ(h)) x generic, with backoff weights that keep
    every context's distribution summing to one.

    λ(h) = `weight` x c(h) / (c(h) + `prior`), c(h) the number of times the domain text
    continues history h (λ = `weight` for unigrams, and everywhere when `prior` is 0): after
    a history the domain has rarely seen, the generic model speaks (the count-merging of
    Bacchiani & Roark's MAP adaptation, with the domain's smoothed estimate).
    """
    order = domain.order
    sets: list[set[Ngram]] = [set() for _ in range(order + 1)]
    for k in range(1, order + 1):
        sets[k] = {g for g in domain.prob[k] if UNK not in g}
    if generic is not None:
        for k in range(1, min(order, 3) + 1):
            sets[k] |= {g for g in generic.grams[k] if UNK not in g}
        for k in range(order, 1, -1):  # every n-gram's context and suffix is listed too
            sets[k - 1] |= {g[:-1] for g in sets[k]} | {g[1:] for g in sets[k]}
    sets[1].add((BOS,))

    def p(gram: Ngram) -> float:
        if generic is None:
            return domain.p(gram)
        lam = weight
        if prior > 0 and len(gram) > 1:
            seen = domain.history_count.get(gram[-order:-1], 0)
            lam = weight * seen / (seen + prior)
        return lam * domain.p(gram) + (1 - lam) * generic.p(gram)

    probs: list[dict[Ngram, float]] = [{} for _ in range(order + 1)]
    for k in range(1, order + 1):
        probs[k] = {g: (0.0 if g == (BOS,) else p(g)) for g in sets[k]}
    if generic is not None:  # the mixed unigrams must sum to one
        total = sum(probs[1].values())
        probs[1] = {g: v / total for g, v in probs[1].items()}
    grams: list[dict[Ngram, tuple[float, float | None]]] = [{} for _ in range(order + 1)]
    for k in range(1, order + 1):
        seen_mass: defaultdict[Ngram, float] = defaultdict(float)
        lower_mass: defaultdict[Ngram, float] = defaultdict(float)
        if k < order:
            for g in sets[k + 1]:
                seen_mass[g[:-1]] += probs[k + 1][g]
                lower_mass[g[:-1]] += probs[k][g[1:]] if g[1:] in probs[k] else p(g[1:])
        for g, prob in probs[k].items():
            bow = None
            if k < order and g in seen_mass:
                bow = max(1.0 - seen_mass[g], 1e-6) / max(1.0 - lower_mass[g], 1e-6)
            grams[k][g] = (prob, bow if k < order else None)
    return grams


def sentences_digest(sentences: list[str], **params: object) -> str:
    digest = hashlib.sha256(f"{VERSION} {sorted(params.items())}\n".encode())
    for s in sentences:
        digest.update(s.encode("utf-8") + b"\n")
    return digest.hexdigest()


def build_domain_lm(
    sentences: Iterable[str],
    out_path: Path = DEFAULT_LM_PATH,
    *,
    generic_weight: float = 0.15,
    generic_top_words: int = 20000,
    generic_prior: float = 8.0,
    order: int = 3,
    phone_phrases: bool = True,
    force: bool = False,
) -> Path:
    """Build the domain language model at `out_path` (.lm.bin binary, else ARPA).

    `generic_weight` > 0 mixes in that share of the generic model (0 = domain only),
    restricted to its `generic_top_words` most probable words. The weight measured best on
    the benchmark's dev half with the telephone MLLR transform (in-domain WER 9.3 %; 9.7 % at
    0.08, 9.8 % at 0.25, 10.8 % at 0.5). The vocabulary size leaves in-domain WER alone
    (8.8 % at 10 000 and 20 000 words, 8.9 % at 30 000) but not speech outside the domain: on
    the held-apart Asterisk prompts 53.8 % at 10 000 words, 51.5 % at 20 000 and 30 000,
    51.1 % at 50 000 (generic model 46.2 %), for about 15 % more decoding CPU at 20 000
    (see `voicebot bench stt` and the README). Those figures predate the generic trigrams and
    `generic_prior`.
    `generic_prior` > 0 makes the weight depend on the history (see `mixed_ngrams`). On the
    held-apart Asterisk prompts (with the transform, generic trigrams in the mix; generic model
    46.4 %) and the benchmark's in-domain dev half: prior 0: 50.0 / 8.1 %, 1: 47.9 / 8.0 %,
    3: 47.7 / 8.4 %, 5: 47.9 / 8.6 %, 8: 46.6 / 8.4 %, 12: 47.4 / 8.5 %, 20: 48.9 / 9.0 %.
    8 has the lowest sum. The generic trigrams alone took Asterisk from 51.5 to 50.0 %.
    `phone_phrases` adds what callers say on any help line, and its templates filled
    (stt/phone_phrases.txt, see `stt.phrase_templates`).
    Nothing is rebuilt when the sentences and parameters did not change.
    """
    sentences = list(sentences)
    if phone_phrases:
        sentences += load_templates(PHONE_PHRASES)
    # Written examples favour "can't", test scripts and careful callers say "can not".
    sentences += [e for s in sentences for e in [expand_contractions(s)] if e != s.lower()]
    out_path = Path(out_path)
    stamp = out_path.with_name(out_path.name + ".sha256")
    digest = sentences_digest(
        sentences, weight=generic_weight, top=generic_top_words, prior=generic_prior, order=order
    )
    if not force and out_path.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        log.info("domain language model %s is up to date", out_path)
        return out_path
    vocabulary = pronouncing_dictionary()
    tokens = tokenize(sentences, vocabulary)
    if not tokens:
        raise ValueError("no training sentences with pronounceable words for the language model")
    generic = None
    if generic_weight > 0:
        domain_words = {w for s in tokens for w in s}
        generic = GenericNgrams.load(generic_top_words, keep=domain_words)
    vocab_size = len(generic.vocab | {w for s in tokens for w in s}) if generic else 0
    model = KneserNey(tokens, order=order, vocab_size=vocab_size)
    grams = mixed_ngrams(model, generic, 1.0 - generic_weight, generic_prior)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    arpa = out_path if not out_path.name.endswith(".bin") else out_path.with_suffix(".arpa")
    write_arpa(grams, arpa)
    if arpa != out_path:
        _arpa_to_binary(arpa, out_path)
    stamp.write_text(digest + "\n")
    log.info(
        "domain language model %s: %d sentences, %s n-grams",
        out_path, len(tokens), "/".join(str(len(g)) for g in grams[1:]),
    )
    return out_path



def build_configured_domain_lm(settings: Any, progress: Callable[[str], None] | None = None) -> Path:
    """The domain language model at `stt.domain_lm_path`, from the text the Rasa project
    gives the recognizer (`nlu.training.speech_lm_sentences`: its examples and responses, and
    bank callers' requests from the datasets); what `voicebot train` builds after the model."""
    from nlu.training import speech_lm_sentences

    say = progress or log.info
    out_path = settings.path(settings.stt.domain_lm_path)
    sentences = speech_lm_sentences(settings.path(settings.nlu.project_dir),
                                    settings.path(settings.nlu.datasets_dir))
    say(f"building the speech domain language model from {len(sentences)} sentences")
    path = build_domain_lm(sentences, out_path)
    say(f"speech domain language model: {path}")
    return path


def _arpa_to_binary(arpa: Path, out: Path) -> None:
    import pocketsphinx

    tmp = out.with_name(out.name + ".tmp")
    model = pocketsphinx.NGramModel.readfile(str(arpa))
    model.write(str(tmp), pocketsphinx.NGramModel.str_to_type("bin"))
    del model
    tmp.replace(out)
