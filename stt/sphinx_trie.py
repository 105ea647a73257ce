"""Reader for pocketsphinx's binary trie language model (`*.lm.bin`, order 3).

pocketsphinx 5.1 cannot list the n-grams of its own binary model: its ARPA writer fails an
assertion at the trigrams (the header's bigram count includes entries the trie never
stored). This reads the file the way `ngram_model_trie.c` / `lm_trie.c` write it:

    "Trie Language Model" | order (u8) | counts (u32 x order) | int (unused)
    | quantiser tables (f32: per middle order 2^16 probabilities + 2^16 backoffs,
      then 2^16 probabilities of the highest order)
    | unigrams {f32 prob, f32 backoff, u32 first bigram} x (counts[0] + 1)
    | middle layer: bit-packed {word, 16-bit backoff bin, 16-bit prob bin, next pointer}
    | highest layer: bit-packed {word, 16-bit prob bin}
    | u32 size + the words, NUL-terminated.

The trie is keyed from the predicted word backwards: a bigram "v u" is the entry `v` under
unigram `u`; a trigram "x v u" is the entry `x` under that bigram. Scores are log base
1.0001, the same numbers `NGramModel.prob` returns.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER = b"Trie Language Model"
QUANT_BINS = 1 << 16
LOG10_PER_UNIT = float(np.log10(1.0001))


@dataclass(frozen=True)
class TrieTrigrams:
    """The n-grams of a trigram trie model as word indices (oldest word first), with their
    scores (log base 1.0001, as stored: bigrams and trigrams quantised to 2^16 levels)."""

    words: list[str]
    unigram_score: np.ndarray  # per word
    bigrams: np.ndarray  # (n, 2): previous word, word
    bigram_score: np.ndarray
    trigrams: np.ndarray  # (n, 3)
    trigram_score: np.ndarray


def _required_bits(max_value: int) -> int:
    return int(max_value).bit_length()


def _bit_field(buf: np.ndarray, start: int, stride: int, count: int, offset: int, bits: int) -> np.ndarray:
    """`bits` bits at bit `offset` of each of `count` records `stride` bits apart (little
    endian, as `bitarr_read_int25` reads them)."""
    pos = np.arange(count, dtype=np.uint64) * np.uint64(stride) + np.uint64(offset)
    first = (pos >> np.uint64(3)).astype(np.int64) + start
    value = np.zeros(count, dtype=np.uint64)
    for b in range(5):  # 25 bits at any bit offset fit in 5 bytes
        value |= buf[first + b].astype(np.uint64) << np.uint64(8 * b)
    mask = np.uint64((1 << bits) - 1)
    return ((value >> (pos & np.uint64(7))) & mask).astype(np.int64)


def read_trigram_trie(path: Path) -> TrieTrigrams:
    """Words, unigram scores, bigrams and trigrams of a pocketsphinx binary trigram model."""
    data = Path(path).read_bytes()
    if not data.startswith(HEADER):
        raise ValueError(f"{path}: not a pocketsphinx trie language model")
    pos = len(HEADER)
    order = data[pos] if len(data) > pos else 0
    pos += 1
    if order != 3:
        raise ValueError(f"{path}: order {order} language model; only trigram models are read")
    counts = struct.unpack_from("<3I", data, pos) if len(data) >= pos + 12 else (0, 0, 0)
    quant_start = pos + 12 + 4  # counts, then an unused int
    unigram_type = np.dtype([("prob", "<f4"), ("bo", "<f4"), ("next", "<u4")])
    unigram_start = quant_start + 4 * 3 * QUANT_BINS
    word_bits = _required_bits(counts[0])
    next_bits = _required_bits(counts[2])
    middle_stride = word_bits + 32 + next_bits
    middle_start = unigram_start + unigram_type.itemsize * (counts[0] + 1)
    longest_stride = word_bits + 16
    longest_start = middle_start + ((1 + counts[1]) * middle_stride + 7) // 8 + 8
    words_start = longest_start + ((1 + counts[2]) * longest_stride + 7) // 8 + 8
    if len(data) < words_start + 4 or not counts[0]:
        raise ValueError(f"{path}: truncated ({len(data)} bytes, its n-grams need {words_start + 4})")
    (size,) = struct.unpack_from("<I", data, words_start)
    words = [w.decode("utf-8", "replace") for w in data[words_start + 4 : words_start + 4 + size].split(b"\0")[:-1]]
    if len(words) != counts[0]:
        raise ValueError(f"{path}: {len(words)} words for {counts[0]} unigrams")
    quant = np.frombuffer(data, "<f4", 3 * QUANT_BINS, quant_start).astype(np.float64)
    unigrams = np.frombuffer(data, unigram_type, counts[0] + 1, unigram_start)

    buf = np.frombuffer(data, np.uint8)
    first_bigram = unigrams["next"].astype(np.int64)
    n_bigrams = int(first_bigram[-1])  # the header may count a few more than were stored
    if np.any(np.diff(first_bigram) < 0) or n_bigrams > counts[1]:
        raise ValueError(f"{path}: corrupt trie (unigram pointers)")
    prev = _bit_field(buf, middle_start, middle_stride, n_bigrams, 0, word_bits)
    bigram_bin = _bit_field(buf, middle_start, middle_stride, n_bigrams, word_bits + 16, 16)
    first_trigram = _bit_field(buf, middle_start, middle_stride, n_bigrams + 1, word_bits + 32, next_bits)
    n_trigrams = int(first_trigram[-1])
    if np.any(np.diff(first_trigram) < 0) or n_trigrams > counts[2]:
        raise ValueError(f"{path}: corrupt trie (bigram pointers)")
    oldest = _bit_field(buf, longest_start, longest_stride, n_trigrams, 0, word_bits)
    trigram_bin = _bit_field(buf, longest_start, longest_stride, n_trigrams, word_bits, 16)
    last = np.repeat(np.arange(counts[0]), np.diff(first_bigram))
    bigrams = np.stack([prev, last], axis=1)
    owner = np.repeat(np.arange(n_bigrams), np.diff(first_trigram))
    trigrams = np.stack([oldest, prev[owner], last[owner]], axis=1)
    return TrieTrigrams(
        words, unigrams["prob"][:-1].astype(np.float64),
        bigrams, quant[bigram_bin], trigrams, quant[2 * QUANT_BINS + trigram_bin],
    )
