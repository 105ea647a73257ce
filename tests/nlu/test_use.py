"""The second sentence encoder (USE multilingual v3 from its hash-pinned package), for real."""

import numpy as np
import pytest

from nlu.components.use import DIMENSIONS, shared_use_encoder


@pytest.fixture(scope="module")
def encoder():
    return shared_use_encoder()


def test_vectors_are_unit_length_512(encoder):
    vectors = encoder.encode(["my card has not arrived", "hello", ""])
    assert vectors.shape == (3, DIMENSIONS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_paraphrases_are_closer_than_unrelated_sentences(encoder):
    a, b, c = encoder.encode([
        "someone stole my bank card", "my card was stolen", "what's the weather tomorrow",
    ])
    assert float(a @ b) > float(a @ c) + 0.2


def test_batches_give_the_vectors_of_single_sentences(encoder):
    texts = ["hi", "I was charged twice for the same coffee this morning", "top up"]
    together = encoder.encode(texts, batch_size=2)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_model_id_names_the_weights(encoder):
    kind, digest = encoder.model_id.split(":")
    assert kind == "use-m3" and len(digest) == 16
