import numpy as np
import pytest

from nlu.components.minilm import DIMENSIONS, TOKENIZER_PATH, shared_encoder, verify_tokenizer


@pytest.fixture(scope="module")
def encoder():
    return shared_encoder()


def test_tokenizer_is_the_measured_file():
    assert TOKENIZER_PATH.is_file()
    assert verify_tokenizer()


def test_vectors_are_unit_length_384(encoder):
    vectors = encoder.encode(["my card has not arrived", "hello", ""])
    assert vectors.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_paraphrases_are_closer_than_unrelated_sentences(encoder):
    a, b, c = encoder.encode([
        "I lost my bank card", "my card is missing", "what's the weather tomorrow",
    ])
    assert float(a @ b) > float(a @ c) + 0.2


def test_batching_and_padding_do_not_change_vectors(encoder):
    texts = ["hi", "I was charged twice for the same coffee this morning", "top up"]
    together = encoder.encode(texts, batch_size=8)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-3)
