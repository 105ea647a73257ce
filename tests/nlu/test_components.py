"""The custom Rasa graph components on a small real training set, through Rasa's storage."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.classifier import MiniLMTfidfClassifier
from nlu.components.featurizer import MiniLMFeaturizer, USEFeaturizer
from nlu.components.linear_model import LinearIntentModel
from nlu.components.vector_cache import cached_encode

EXAMPLES = {
    "card_arrival": ["my card has not arrived", "where is my new card", "card still not here",
                     "when will my card come", "I am waiting for my card"],
    "exchange_rate": ["what exchange rate do you use", "how much is a euro in pounds",
                      "currency conversion rate", "what rate for dollars", "exchange rates today"],
    "greet": ["hello", "hi there", "good morning", "hey", "hiya"],
}


def training_data() -> TrainingData:
    return TrainingData([
        Message(data={TEXT: text, "intent": intent})
        for intent, texts in EXAMPLES.items() for text in texts
    ])


@pytest.fixture()
def storage(tmp_path):
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


def context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name)


def test_featurizer_adds_a_384_sentence_feature():
    featurizer = MiniLMFeaturizer.create({}, None, None, context("feat"))
    [message] = featurizer.process([Message(data={TEXT: "where is my card"})])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None
    assert sentence.features.shape == (1, 384)


def test_a_featurizer_weight_must_be_positive():
    with pytest.raises(ValueError, match="weight"):
        USEFeaturizer.validate_config({"weight": 0})


def test_two_featurizers_give_the_classifier_one_concatenated_vector():
    minilm = MiniLMFeaturizer.create({}, None, None, context("minilm"))
    use = USEFeaturizer.create({"weight": 0.35}, None, None, context("use"))
    [message] = use.process(minilm.process([Message(data={TEXT: "where is my card"})]))
    _, sentence = message.get_dense_features(TEXT)
    assert sentence.features.shape == (1, 384 + 512)
    assert np.allclose(sentence.features[0, :384], minilm.embed(["where is my card"])[0], atol=1e-5)
    assert np.allclose(sentence.features[0, 384:], 0.35 * use.embed(["where is my card"])[0], atol=1e-5)


def test_classifier_trains_persists_and_loads(storage):
    featurizer = MiniLMFeaturizer.create({"vector_cache": False}, storage, None, context("feat"))
    data = featurizer.process_training_data(training_data())
    resource = Resource("clf")
    classifier = MiniLMTfidfClassifier.create({"char_min_df": 1}, storage, resource, context("clf"))
    classifier.train(data)

    loaded = MiniLMTfidfClassifier.load({"char_min_df": 1}, storage, resource, context("clf"))
    messages = featurizer.process([
        Message(data={TEXT: "has my card been sent yet"}),
        Message(data={TEXT: "what's the dollar rate"}),
    ])
    loaded.process(messages)
    assert [m.get("intent")["name"] for m in messages] == ["card_arrival", "exchange_rate"]
    ranking = messages[0].get("intent_ranking")
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6
    assert ranking[0]["confidence"] >= ranking[1]["confidence"]


def test_classifier_without_featurizer_features_says_so(storage):
    classifier = MiniLMTfidfClassifier.create({}, storage, Resource("c2"), context("c2"))
    with pytest.raises(ValueError, match="MiniLMFeaturizer"):
        classifier.train(training_data())


def test_linear_model_temperature_sharpens_confidence():
    texts = [t for ts in EXAMPLES.values() for t in ts]
    labels = [i for i, ts in EXAMPLES.items() for _ in ts]
    vectors = np.random.default_rng(0).normal(size=(len(texts), 8)).astype(np.float32)
    soft = LinearIntentModel(temperature=1.0, char_min_df=1)
    sharp = LinearIntentModel(temperature=20.0, char_min_df=1)
    soft.fit(texts, vectors, labels)
    sharp.fit(texts, vectors, labels)
    probe = (["hello there"], vectors[:1])
    assert sharp.rank(*probe)[0][0][1] > soft.rank(*probe)[0][0][1]
    assert sharp.rank(*probe)[0][0][0] == soft.rank(*probe)[0][0][0]


def test_vector_cache_computes_only_new_texts(tmp_path):
    calls: list[list[str]] = []

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    path = tmp_path / "vectors.npz"
    first = cached_encode(["a", "bb"], encode, path)
    second = cached_encode(["bb", "ccc", "a"], encode, path)
    assert calls == [["a", "bb"], ["ccc"]]
    assert first.tolist() == [[1, 1], [2, 1]]
    assert second.tolist() == [[2, 1], [3, 1], [1, 1]]
