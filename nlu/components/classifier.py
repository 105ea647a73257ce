"""Rasa graph component: a linear intent classifier on sentence vectors plus TF-IDF n-grams."""

from __future__ import annotations

import logging
import pickle
import time
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.featurizer import MiniLMFeaturizer
from nlu.components.linear_model import LinearIntentModel

logger = logging.getLogger(__name__)
MODEL_FILE = "linear_intent_model.pkl"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class MiniLMTfidfClassifier(IntentClassifier, GraphComponent):
    """Intents from [sentence vectors (MiniLM, USE), word and char TF-IDF] with a linear SVM.

    Confidences are a softmax of the SVM margins scaled by `temperature`, so that the
    FallbackClassifier threshold after it means the same thing across retrainings.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [MiniLMFeaturizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "embedding_weight": 2.0,  # scale of the (unit-length) sentence vectors
            "C": 0.5,  # SVM regularisation
            "temperature": 10.0,  # softmax(margin * temperature)
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "char_min_df": 2,
            "ranking_length": 10,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: LinearIntentModel | None = None,
    ) -> None:
        self.component_config = config
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMTfidfClassifier:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def _model_options(self) -> dict[str, Any]:
        keys = ("embedding_weight", "C", "temperature", "word_ngrams", "char_ngrams", "char_min_df")
        return {key: self.component_config[key] for key in keys}

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        if not examples:
            logger.warning("MiniLMTfidfClassifier: no intent examples, nothing to train")
            return self._resource
        started = time.perf_counter()
        model = LinearIntentModel(**self._model_options())
        model.fit(
            [m.get(TEXT) for m in examples],
            _sentence_vectors(examples),
            [m.get(INTENT) for m in examples],
        )
        self.model = model
        logger.info(
            "MiniLMTfidfClassifier: %d examples, %d intents, fitted in %.1f s",
            len(examples), len(model.classes), time.perf_counter() - started,
        )
        with self._model_storage.write_to(self._resource) as directory:
            (directory / MODEL_FILE).write_bytes(pickle.dumps(model))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> MiniLMTfidfClassifier:
        model = None
        try:
            with model_storage.read_from(resource) as directory:
                model = pickle.loads((directory / MODEL_FILE).read_bytes())  # our own model file
        except (ValueError, FileNotFoundError):
            logger.warning("MiniLMTfidfClassifier: no trained model in %s", resource.name)
        return cls({**cls.get_default_config(), **config}, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        todo = [m for m in messages if m.get(TEXT)]
        if not todo:
            return messages
        rankings = self.model.rank([m.get(TEXT) for m in todo], _sentence_vectors(todo))
        length = int(self.component_config["ranking_length"])
        for message, ranking in zip(todo, rankings):
            top = ranking[:length] if length > 0 else ranking
            entries = [{INTENT_NAME_KEY: name, "confidence": conf} for name, conf in top]
            message.set(INTENT, entries[0], add_to_output=True)
            message.set("intent_ranking", entries, add_to_output=True)
        return messages


def _sentence_vectors(messages: list[Message]):
    import numpy as np

    rows = []
    for message in messages:
        _, sentence = message.get_dense_features(TEXT)
        if sentence is None:
            raise ValueError("MiniLMTfidfClassifier needs MiniLMFeaturizer before it")
        rows.append(sentence.features.reshape(-1))
    return np.vstack(rows).astype(np.float32)
