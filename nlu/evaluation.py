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
    clarify: dict[str, Any] | None = None  # the question asked instead (nlu/clarify.py)
    ranking: list[tuple[str, float]] = field(default_factory=list)  # best first, no nlu_fallback


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
            out.append(Parse(result["intent"]["name"], top["name"], float(top["confidence"]), ms,
                             result.get("clarify"), [(r["name"], float(r["confidence"])) for r in ranking]))
        return out

    return asyncio.run(run())


@dataclass
class Scores:
    accuracy: float  # Banking77 test, classifier's best intent
    macro_f1: float
    accuracy_at_threshold: float  # fallback counted as wrong (questions as their best intent)
    oos_recall: float  # CLINC150 oos_test to out_of_scope or nlu_fallback
    latency_ms: list[float] = field(default_factory=list)


def score(banking: list[Parse], gold: Sequence[str], oos: list[Parse]) -> Scores:
    top = [p.top for p in banking]
    return Scores(
        accuracy=float(np.mean([t == g for t, g in zip(top, gold)])),
        macro_f1=macro_f1(gold, top),
        # a clarifying question is not the fallback's loss (its outcomes: bot/bench/nlu.py)
        accuracy_at_threshold=float(np.mean([
            p.intent == g or (p.clarify is not None and p.top == g) for p, g in zip(banking, gold)
        ])),
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


@dataclass
class Validation:
    """Rankings of held-out training examples (in scope) and CLINC150 oos_val, from the
    classifier trained on the rest of the project's examples: what every rule is tuned on."""

    gold: list[str]
    rankings: list[list[tuple[str, float]]]
    oos_rankings: list[list[tuple[str, float]]]
    seconds: float


def validation_rankings(project_dir: Path, datasets: Path, holdout: float = 0.1, seed: int = 0,
                        folds: int = 1) -> Validation:
    """Train the classifier (same options as config.yml) on the project's examples less a
    stratified `holdout` share of the Banking77 ones; rank those and CLINC150 `oos_val`.
    With `folds` > 1: cross-validation instead, every Banking77 example ranked once by the
    model trained without its fold (more validation data for rare intents, `folds` fits)."""
    started = time.perf_counter()
    categories = set(json.loads((datasets / "banking77" / "categories.json").read_text()))
    examples = list(_project_examples(project_dir))
    rng = random.Random(seed)
    by_intent: dict[str, list[int]] = defaultdict(list)
    for i, (intent, _) in enumerate(examples):
        by_intent[intent].append(i)
    parts: list[set[int]] = [set() for _ in range(max(1, folds))]
    for intent, idx in by_intent.items():
        if intent not in categories:
            continue
        if folds > 1:
            shuffled = rng.sample(idx, len(idx))
            for k, i in enumerate(shuffled):
                parts[k % folds].add(i)
        else:
            parts[0].update(rng.sample(idx, max(1, round(len(idx) * holdout))))
    oos = clinc_oos(datasets, "oos_val")
    vectors = _vectors(project_dir, [t for _, t in examples] + oos)
    result = Validation([], [], [], 0.0)
    for k, held in enumerate(parts):
        train = [i for i in range(len(examples)) if i not in held]
        valid = sorted(held)
        model = _fit(project_dir, [examples[i] for i in train], vectors[train])
        result.gold += [examples[i][0] for i in valid]
        result.rankings += model([examples[i][1] for i in valid], vectors[valid])
        if k == 0:
            result.oos_rankings = model(oos, vectors[len(examples):])
    result.seconds = time.perf_counter() - started
    return result


def _project_examples(project_dir: Path) -> list[tuple[str, str]]:
    from nlu.training import nlu_examples

    return list(nlu_examples(project_dir))


def _vectors(project_dir: Path, texts: list[str]) -> np.ndarray:
    """The sentence vectors the pipeline of config.yml gives the classifier, in its order."""
    from rasa.engine.graph import ExecutionContext, GraphSchema

    from nlu.components.featurizer import SentenceVectorFeaturizer

    config = yaml.safe_load((project_dir / "config.yml").read_text(encoding="utf-8"))
    parts = []
    for item in config.get("pipeline") or []:
        name = str(item.get("name", ""))
        kind = next((c for c in SentenceVectorFeaturizer.__subclasses__() if name.endswith(c.__name__)), None)
        if kind is not None:
            options = {k: v for k, v in item.items() if k != "name"}
            featurizer = kind.create(options, None, None, ExecutionContext(GraphSchema({}), node_name=name))
            parts.append(featurizer.vectors(texts))
    return np.hstack(parts)


def _fit(project_dir: Path, train: list[tuple[str, str]], vectors: np.ndarray) -> Any:
    """The classifier of config.yml fitted on `train`; returns rank(texts, vectors), each
    ranking cut to the length the pipeline passes on."""
    from nlu.components.linear_model import LinearIntentModel

    clf_options = pipeline_options(project_dir / "config.yml", "MiniLMTfidfClassifier")
    model_keys = ("embedding_weight", "C", "temperature", "word_ngrams", "char_ngrams", "char_min_df")
    model = LinearIntentModel(**{k: v for k, v in clf_options.items() if k in model_keys})
    model.fit([t for _, t in train], vectors, [i for i, _ in train])
    length = int(clf_options.get("ranking_length", 10))
    return lambda texts, vecs: [r[:length] for r in model.rank(texts, vecs)]


def tune_threshold(validation: Validation, max_drop: float = 0.005) -> dict[str, Any]:
    """Pick the FallbackClassifier threshold on validation data, never the test split: the
    one maximising in-scope accuracy + out-of-scope recall while in-scope accuracy drops at
    most `max_drop`."""
    valid_rank, oos_rank, gold = validation.rankings, validation.oos_rankings, validation.gold
    rows = []
    for threshold in np.round(np.arange(0.0, 0.96, 0.05), 2):
        acc = np.mean([r[0][0] == g and r[0][1] >= threshold for r, g in zip(valid_rank, gold)])
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
        "held_out": len(gold),
        "oos_val": len(oos_rank),
        "seconds": validation.seconds,
    }
