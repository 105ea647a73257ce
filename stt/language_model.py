"""Domain language model for pocketsphinx, built from the bot's training sentences.

An interpolated modified Kneser-Ney trigram model (Chen & Goodman) over the normalised
sentences, optionally mixed linearly with pocketsphinx's generic US English model
(its probabilities, trigrams included, for the unigrams and bigrams among its most frequent
words and for the domain's n-grams), written as ARPA and
converted to pocketsphinx's binary format so each call's decoder loads it in milliseconds.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stt.phrase_templates import load_templates
from stt.text import expand_contractions, normalise

log = logging.getLogger(__name__)

DEFAULT_LM_PATH = Path("models/domain-lm/domain.lm.bin")
PHONE_PHRASES = Path(__file__).with_name("phone_phrases.txt")
BOS, EOS, UNK = "<s>", "</s>", "<unk>"
VERSION = "kn3-mix-4"  # bump when the method changes, so models are rebuilt
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
        for words in sentences:
            tokens = [BOS, *words, EOS]
            for i in range(1, len(tokens)):
                raw[tuple(tokens[max(0, i - order + 1) : i + 1])] += 1
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


LOG10_PER_UNIT = math.log10(1.0001)  # pocketsphinx reports log-probabilities in base 1.0001


def _read_unigrams_bigrams(arpa: Path) -> tuple[list[str], list[tuple[str, str]], list[int]]:
    """The words and bigrams (not their numbers) of a dumped ARPA file, and the header counts."""
    words: list[str] = []
    bigrams: list[tuple[str, str]] = []
    declared: list[int] = []
    section = 0
    if not arpa.is_file():
        return words, bigrams, declared
    with arpa.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("ngram ") and "=" in line:
                declared.append(int(line.split("=")[1]))
                continue
            if line.startswith("\\"):
                section = {"\\1-grams:": 1, "\\2-grams:": 2}.get(line.strip(), 9)
                if section == 9 and words:
                    break
                continue
            parts = line.split()
            if section == 1 and len(parts) >= 2:
                words.append(parts[1])
            elif section == 2 and len(parts) >= 3:
                bigrams.append((parts[1], parts[2]))
    return words, bigrams, declared


class GenericBigrams:
    """pocketsphinx's generic trigram model, restricted to its most frequent words.

    Its probabilities come from the loaded model itself (`NGramModel.prob`, exact, backoff
    included, trigrams too); its list of words and bigrams from an ARPA dump. The numbers in
    that dump are NOT usable: pocketsphinx 5.1 writes them scaled by a huge factor (about
    1.7e10 x log10 p), so a model mixed with them had no generic part at all.
    """

    def __init__(self, lm: Any, uni: dict[str, float], bi: set[Ngram], vocab: set[str]) -> None:
        self.lm = lm  # pocketsphinx.NGramModel
        self.uni = uni  # word -> log10 unigram probability
        self.bi = bi  # the bigrams among `vocab` the generic model lists
        self.vocab = vocab  # the words the mixed model may contain

    @classmethod
    def load(cls, top_words: int = 20000, keep: set[str] | frozenset[str] = frozenset()) -> GenericBigrams:
        """Read the model shipped with pocketsphinx; keep its `top_words` most probable words
        (plus `keep`) and the bigrams among them: a large vocabulary costs accuracy on the
        domain (more confusable words) and decoding time."""
        import subprocess
        import sys
        import tempfile

        import pocketsphinx

        lm_bin = Path(pocketsphinx.get_model_path()) / "en-us" / "en-us.lm.bin"
        # pocketsphinx 5.1 writes the unigrams and bigrams of its binary model, then crashes
        # in the trigrams (sometimes earlier): write in a child process, read the first two
        # sections, and check them against the header counts (a few bigrams may be lost with
        # the unflushed buffer).
        script = (
            "import sys, pocketsphinx as ps\n"
            "m = ps.NGramModel.readfile(sys.argv[1])\n"
            "m.write(sys.argv[2], ps.NGramModel.str_to_type('arpa'))\n"
        )
        for _attempt in range(4):
            with tempfile.TemporaryDirectory() as tmp:
                arpa = Path(tmp) / "generic.arpa"
                subprocess.run(
                    [sys.executable, "-c", script, str(lm_bin), str(arpa)],
                    capture_output=True, timeout=300, check=False,
                )
                words, bigrams, declared = _read_unigrams_bigrams(arpa)
            if declared and len(words) == declared[0] and len(bigrams) > 0.999 * declared[1]:
                break
            log.warning("generic language model dump incomplete (%d unigrams); retrying", len(words))
        else:
            raise RuntimeError("could not read pocketsphinx's generic language model")
        lm = pocketsphinx.NGramModel.readfile(str(lm_bin))
        uni = {w: lm.prob([w]) * LOG10_PER_UNIT for w in words if w != BOS}
        ranked = sorted((w for w in uni if not w.startswith("<")), key=lambda w: -uni[w])
        allowed = set(ranked[:top_words]) | (set(keep) & set(uni)) | {BOS, EOS}
        bi = {g for g in bigrams if g[0] in allowed and g[1] in allowed}
        return cls(lm, uni, bi, allowed)

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
    domain: KneserNey, generic: GenericBigrams | None, weight: float
) -> list[dict[Ngram, tuple[float, float | None]]]:
    """N-grams of `weight` x domain + (1 - weight) x generic, with backoff weights that keep
    every context's distribution summing to one."""
    order = domain.order
    sets: list[set[Ngram]] = [set() for _ in range(order + 1)]
    for k in range(1, order + 1):
        sets[k] = {g for g in domain.prob[k] if UNK not in g}
    if generic is not None:
        sets[1] |= {(w,) for w in generic.vocab if w in generic.uni and w != UNK}
        sets[2] |= set(generic.bi)
    sets[1].add((BOS,))

    def p(gram: Ngram) -> float:
        if generic is None:
            return domain.p(gram)
        return weight * domain.p(gram) + (1 - weight) * generic.p(gram)

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
    (see `voicebot bench stt` and the README);
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
        sentences, weight=generic_weight, top=generic_top_words, order=order
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
        generic = GenericBigrams.load(generic_top_words, keep=domain_words)
    vocab_size = len(generic.vocab | {w for s in tokens for w in s}) if generic else 0
    model = KneserNey(tokens, order=order, vocab_size=vocab_size)
    grams = mixed_ngrams(model, generic, 1.0 - generic_weight)
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


def _arpa_to_binary(arpa: Path, out: Path) -> None:
    import pocketsphinx

    tmp = out.with_name(out.name + ".tmp")
    model = pocketsphinx.NGramModel.readfile(str(arpa))
    model.write(str(tmp), pocketsphinx.NGramModel.str_to_type("bin"))
    del model
    tmp.replace(out)
