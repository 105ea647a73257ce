"""Scoring the NLU: Banking77 test accuracy and macro-F1, CLINC150 out-of-scope recall,
per-utterance latency, and the fallback threshold tuned on held-out training data."""

from __future__ import annotations

import csv
import json
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

OUT_OF_SCOPE = {"out_of_scope", "nlu_fallback"}


def banking77(datasets: Path, split: str) -> tuple[list[str], list[str]]:
    """(texts, categories) of a Banking77 split ("train" or "test")."""
    with (datasets / "banking77" / f"{split}.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def clinc_oos(datasets: Path, split: str) -> list[str]:
    """CLINC150 out-of-scope texts of a split ("oos_val" or "oos_test")."""
    data = json.loads((datasets / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    return [text for text, _ in data[split]]


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-averaged F1 over the gold labels."""
    tp: dict[str, int] = defaultdict(int)
    fp: dict[str, int] = defaultdict(int)
    fn: dict[str, int] = defaultdict(int)
    for g, p in zip(gold, predicted):
        if g == p:
            tp[g] += 1
        else:
            fp[p] += 1
            fn[g] += 1
    scores = []
    for label in set(gold):
        precision = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else 0.0
        recall = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return float(np.mean(scores)) if scores else 0.0


@dataclass
class Parse:
    intent: str  # after the FallbackClassifier (may be nlu_fallback)
    top: str  # the classifier's best intent, ignoring the fallback
    confidence: float
    ms: float


def parse_texts(agent: Any, texts: Sequence[str]) -> list[Parse]:
    """Run texts one by one through the model's NLU pipeline, timing each."""
    import asyncio

    from rasa.core.channels.channel import UserMessage

    async def run() -> list[Parse]:
        out = []
        for text in texts:
            started = time.perf_counter()
            result = await agent.processor.parse_message(UserMessage(text))
            ms = (time.perf_counter() - started) * 1000
            ranking = [r for r in result.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
            top = ranking[0] if ranking else result["intent"]
            out.append(Parse(result["intent"]["name"], top["name"], float(top["confidence"]), ms))
        return out

    return asyncio.run(run())


@dataclass
class Scores:
    accuracy: float  # Banking77 test, classifier's best intent
    macro_f1: float
    accuracy_at_threshold: float  # fallback counted as wrong
    oos_recall: float  # CLINC150 oos_test to out_of_scope or nlu_fallback
    latency_ms: list[float] = field(default_factory=list)


def score(banking: list[Parse], gold: Sequence[str], oos: list[Parse]) -> Scores:
    top = [p.top for p in banking]
    return Scores(
        accuracy=float(np.mean([t == g for t, g in zip(top, gold)])),
        macro_f1=macro_f1(gold, top),
        accuracy_at_threshold=float(np.mean([p.intent == g for p, g in zip(banking, gold)])),
        oos_recall=float(np.mean([p.intent in OUT_OF_SCOPE for p in oos])),
        latency_ms=[p.ms for p in banking + oos],
    )


def pipeline_options(config_path: Path, component: str) -> dict[str, Any]:
    """The options of one pipeline component in config.yml (name matched by suffix)."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for item in config.get("pipeline") or []:
        if str(item.get("name", "")).endswith(component):
            return {k: v for k, v in item.items() if k != "name"}
    return {}


def tune_threshold(
    project_dir: Path, datasets: Path, holdout: float = 0.1, max_drop: float = 0.005, seed: int = 0
) -> dict[str, Any]:
    """Pick the FallbackClassifier threshold on validation data, never the test split.

    Train the classifier (same options as config.yml) on the project's examples less a
    stratified `holdout` share of the Banking77 ones; validate on those held-out examples
    (in scope) and CLINC150 `oos_val` (out of scope). The threshold chosen maximises
    in-scope accuracy + out-of-scope recall while in-scope accuracy drops at most `max_drop`.
    """
    from nlu.components.linear_model import LinearIntentModel
    from nlu.components.minilm import shared_encoder
    from nlu.components.vector_cache import cache_file, cached_encode
    from nlu.training import nlu_examples

    started = time.perf_counter()
    categories = set(json.loads((datasets / "banking77" / "categories.json").read_text()))
    examples = list(nlu_examples(project_dir))
    rng = random.Random(seed)
    by_intent: dict[str, list[int]] = defaultdict(list)
    for i, (intent, _) in enumerate(examples):
        by_intent[intent].append(i)
    held: set[int] = set()
    for intent, idx in by_intent.items():
        if intent in categories:
            held.update(rng.sample(idx, max(1, round(len(idx) * holdout))))
    train = [examples[i] for i in range(len(examples)) if i not in held]
    valid = [examples[i] for i in sorted(held)]
    oos = clinc_oos(datasets, "oos_val")

    options = pipeline_options(project_dir / "config.yml", "MiniLMFeaturizer")
    encoder = shared_encoder(None, None, int(options.get("max_length", 64)), threads=0)
    path = cache_file(encoder.model_id)
    texts = [t for _, t in train] + [t for _, t in valid] + oos
    vectors = cached_encode(texts, encoder.encode, path)
    n_train, n_valid = len(train), len(valid)

    clf_options = pipeline_options(project_dir / "config.yml", "MiniLMTfidfClassifier")
    model_keys = ("embedding_weight", "C", "temperature", "word_ngrams", "char_ngrams", "char_min_df")
    model = LinearIntentModel(**{k: v for k, v in clf_options.items() if k in model_keys})
    model.fit([t for _, t in train], vectors[:n_train], [i for i, _ in train])
    valid_rank = model.rank([t for _, t in valid], vectors[n_train : n_train + n_valid])
    oos_rank = model.rank(oos, vectors[n_train + n_valid :])

    rows = []
    for threshold in np.round(np.arange(0.0, 0.96, 0.05), 2):
        acc = np.mean([r[0][0] == g and r[0][1] >= threshold for r, (g, _) in zip(valid_rank, valid)])
        rec = np.mean([r[0][0] == "out_of_scope" or r[0][1] < threshold for r in oos_rank])
        rows.append((float(threshold), float(acc), float(rec)))
    base = rows[0][1]
    allowed = [r for r in rows if base - r[1] <= max_drop]
    best = max(allowed, key=lambda r: (r[1] + r[2], -r[0]))
    return {
        "threshold": best[0],
        "validation_accuracy": best[1],
        "validation_oos_recall": best[2],
        "accuracy_without_fallback": base,
        "sweep": rows,
        "held_out": n_valid,
        "oos_val": len(oos),
        "seconds": time.perf_counter() - started,
    }
