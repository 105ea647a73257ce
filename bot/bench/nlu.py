"""`voicebot bench nlu`: Banking77 and CLINC150 accuracy, training time, inference latency.

Uses the default trained model (training it first when data or config changed; `--retrain`
forces a fresh training to time it). Every test utterance goes through the full Rasa NLU
pipeline one at a time, as on a call. `--tune` also re-runs the fallback-threshold tuning on
held-out training data and CLINC150 oos_val (never the test splits).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.bench.report import add_json_argument, emit, percentile


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "nlu", help="Banking77 and CLINC150 accuracy, training time, inference latency",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--retrain", action="store_true", help="train from scratch to time it")
    parser.add_argument("--tune", action="store_true", help="re-run the threshold tuning")
    parser.add_argument("--limit", type=int, default=0, help="only the first N test utterances")
    add_json_argument(parser)
    parser.set_defaults(func=run)


def progress(message: str) -> None:
    print(f"voicebot bench nlu: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, settings: Any) -> int:
    from nlu.training import quiet_rasa, train, training_record

    quiet_rasa()
    from nlu import evaluation
    from nlu.engine import _load_agent

    project_dir = settings.path(settings.nlu.project_dir)
    model_dir = settings.path(settings.nlu.model_dir)
    datasets = settings.path(settings.nlu.datasets_dir)
    if not (datasets / "banking77").is_dir():
        print(f"voicebot bench nlu: datasets not found at {datasets}", file=sys.stderr)
        return 1
    if args.retrain:
        import shutil

        shutil.rmtree(model_dir / "cache", ignore_errors=True)  # no cached vectors either
    result = train(project_dir, model_dir, datasets, force=args.retrain, progress=progress)
    record = training_record(model_dir)
    threshold = evaluation.pipeline_options(project_dir / "config.yml", "FallbackClassifier").get(
        "threshold"
    )

    texts, gold = evaluation.banking77(datasets, "test")
    oos = evaluation.clinc_oos(datasets, "oos_test")
    if args.limit:
        texts, gold, oos = texts[: args.limit], gold[: args.limit], oos[: args.limit]
    agent = _load_agent(result.model_path)
    progress(f"parsing {len(texts)} Banking77 and {len(oos)} CLINC150 oos test utterances")
    evaluation.parse_texts(agent, texts[:20])  # warm-up
    scores = evaluation.score(
        evaluation.parse_texts(agent, texts), gold, evaluation.parse_texts(agent, oos)
    )
    rows = [
        ["Banking77 test accuracy (%)", f"{100 * scores.accuracy:.2f}"],
        ["Banking77 test macro-F1 (%)", f"{100 * scores.macro_f1:.2f}"],
        [f"Banking77 accuracy with fallback at {threshold} (%)", f"{100 * scores.accuracy_at_threshold:.2f}"],
        ["accuracy drop from the fallback (points)", f"{100 * (scores.accuracy - scores.accuracy_at_threshold):.2f}"],
        ["CLINC150 oos_test to out_of_scope/fallback (%)", f"{100 * scores.oos_recall:.1f}"],
        ["training time of this model (s; --retrain: from scratch)", record.get("train_seconds", "?")],
        ["training load avg (1 min)", record.get("load_avg_1m", "?")],
        ["training skipped (model up to date)", result.skipped],
        ["inference p50 (ms)", f"{percentile(scores.latency_ms, 50):.1f}"],
        ["inference p95 (ms)", f"{percentile(scores.latency_ms, 95):.1f}"],
    ]
    extra: dict[str, Any] = {"model": result.model_path.name, "threshold": threshold}
    if args.tune:
        progress("tuning the fallback threshold on held-out training data and oos_val")
        tuned = evaluation.tune_threshold(project_dir, datasets)
        extra["tuning"] = tuned
        rows.append(["tuned threshold (validation)", tuned["threshold"]])
        rows.append(["validation accuracy at tuned threshold (%)", f"{100 * tuned['validation_accuracy']:.2f}"])
        rows.append(["validation oos recall at tuned threshold (%)", f"{100 * tuned['validation_oos_recall']:.1f}"])
    emit("NLU: Banking77 + CLINC150", ["metric", "value"], rows, args.json, extra)
    return 0
