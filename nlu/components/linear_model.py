"""The intent model itself, free of Rasa: [w * sentence vector, TF-IDF words, TF-IDF chars]
into a linear SVM, with softmax-of-margins confidences. Benchmarks and the threshold
tuning use it directly on cached vectors; the Rasa component wraps it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC


class LinearIntentModel:
    """Fit on (texts, sentence vectors, labels); rank intents for new utterances."""

    def __init__(
        self,
        embedding_weight: float = 2.0,
        C: float = 0.5,  # SVM regularisation
        temperature: float = 10.0,
        word_ngrams: Sequence[int] = (1, 2),
        char_ngrams: Sequence[int] = (2, 5),
        char_min_df: int = 2,
    ) -> None:
        self.embedding_weight = float(embedding_weight)
        self.temperature = float(temperature)
        self.word = TfidfVectorizer(ngram_range=tuple(word_ngrams), sublinear_tf=True)
        self.char = TfidfVectorizer(
            analyzer="char_wb", ngram_range=tuple(char_ngrams), sublinear_tf=True,
            min_df=char_min_df,
        )
        self.svm = LinearSVC(C=C, random_state=0)
        self.classes: list[str] = []

    def _features(self, texts: Sequence[str], vectors: np.ndarray, fit: bool = False):
        if fit:
            words, chars = self.word.fit_transform(texts), self.char.fit_transform(texts)
        else:
            words, chars = self.word.transform(texts), self.char.transform(texts)
        dense = csr_matrix(np.asarray(vectors, dtype=np.float32) * self.embedding_weight)
        return hstack([dense, words, chars]).tocsr()

    def fit(self, texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str]) -> None:
        """Train on parallel lists of texts, their sentence vectors and intent labels."""
        if len(set(labels)) < 2:
            raise ValueError("LinearIntentModel needs at least two intents")
        self.svm.fit(self._features(texts, vectors, fit=True), list(labels))
        self.classes = [str(c) for c in self.svm.classes_]

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """(n, n_intents) confidences in the order of `classes`."""
        margins = self.svm.decision_function(self._features(texts, vectors))
        if margins.ndim == 1:  # two classes: sklearn gives one margin
            margins = np.stack([-margins, margins], axis=1)
        scaled = margins * self.temperature
        scaled -= scaled.max(axis=1, keepdims=True)
        exp = np.exp(scaled)
        return exp / exp.sum(axis=1, keepdims=True)

    def rank(self, texts: Sequence[str], vectors: np.ndarray) -> list[list[tuple[str, float]]]:
        """For each text, (intent, confidence) pairs, most likely first."""
        probs = self.probabilities(texts, vectors)
        order = np.argsort(-probs, axis=1)
        return [[(self.classes[j], float(row[j])) for j in idx] for row, idx in zip(probs, order)]
