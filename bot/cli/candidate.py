"""`voicebot train --candidate`: train a candidate model beside the live one, run the NLU test
split, the stories (and with --voice the voice scenarios) against both, and write what
changed to the candidate's report.json (the console's Review page shows it)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def progress(message: str) -> None:
    print(f"voicebot train --candidate: {message}", file=sys.stderr, flush=True)


def model_store(settings: Any) -> Any:
    from nlu.model_store import ModelStore

    review = settings.review
    return ModelStore(settings.path(settings.nlu.model_dir), settings.path(review.candidates_dir),
                      settings.path(review.history_dir), review.keep_models)


def run(args: argparse.Namespace, settings: Any) -> int:
    from nlu.training import FINGERPRINT_FILE, convert_datasets, describe_failure, quiet_rasa, train

    quiet_rasa()
    store = model_store(settings)
    project_dir = settings.path(settings.nlu.project_dir)
    datasets = settings.path(settings.nlu.datasets_dir)
    # The live model's training cache: only what the reviewed examples changed is recomputed.
    os.environ.setdefault("RASA_CACHE_DIRECTORY", str(store.live_dir / "cache"))
    started = time.perf_counter()
    try:
        convert_datasets(project_dir, datasets, progress)
        folder = store.new_candidate_dir()
        if (store.live_dir / FINGERPRINT_FILE).is_file():  # same component code: Rasa's cache holds
            shutil.copyfile(store.live_dir / FINGERPRINT_FILE, folder / FINGERPRINT_FILE)
        result = train(project_dir, folder, datasets, progress=progress, converted=True)
    except Exception as exc:
        print(f"voicebot train --candidate: training failed: {describe_failure(exc)}", file=sys.stderr)
        return 1
    try:
        report = evaluate(settings, store, result.model_path, voice=args.voice)
    except Exception as exc:
        print(f"voicebot train --candidate: testing failed: {exc}", file=sys.stderr)
        return 1
    report["seconds"] = round(time.perf_counter() - started, 1)
    store.write_report(report)
    print(report["summary"])
    print(result.model_path)
    return 0


def evaluate(settings: Any, store: Any, candidate: Path, voice: bool) -> dict[str, Any]:
    """The candidate's and the live model's test results, compared."""
    from nlu.candidate_report import nlu_diff, story_diff, summary, voice_diff
    from nlu.teaching import reviewed_examples
    from nlu.testing import run_tests

    project_dir = settings.path(settings.nlu.project_dir)
    datasets = settings.path(settings.nlu.datasets_dir)
    live = store.live()
    with tempfile.TemporaryDirectory(prefix="voicebot-candidate-") as tmp:
        progress("testing the candidate (NLU test split and stories)")
        new_nlu, new_stories = run_tests(candidate, project_dir, datasets if datasets.is_dir() else None,
                                         Path(tmp) / "candidate")
        old_nlu, old_stories = [], None
        if live is not None:
            old_nlu, old_stories = live_results(store, live, project_dir, datasets, Path(tmp) / "live")
    report: dict[str, Any] = {
        "candidate": candidate.name, "live": live.name if live else None, "at": time.time(),
        "nlu": nlu_diff(old_nlu, new_nlu), "stories": story_diff(old_stories, new_stories),
        "voice": None, "examples_added": len(reviewed_examples(project_dir)),
    }
    if voice:
        progress("placing the voice scenarios against the live model, then the candidate")
        scenarios = project_dir / "tests" / "voice"
        report["voice"] = voice_diff(voice_results(live, scenarios) if live else None,
                                     voice_results(candidate, scenarios))
    report["summary"] = summary(report)
    return report


def live_results(store: Any, live: Path, project_dir: Path, datasets: Path, out: Path) -> tuple:
    """The live model's test results: kept beside the candidates for the same model and test
    files, so trying several candidates tests the live model once."""
    import dataclasses
    import hashlib
    import json

    from nlu.testing import NluReport, StoryReport, run_tests

    tests = sorted(p for p in (project_dir / "tests").glob("*.yml"))
    digest = hashlib.sha256(live.name.encode())
    for path in tests + [datasets / "banking77" / "test.csv"]:
        digest.update(path.read_bytes() if path.is_file() else b"-")
    saved = store.candidates_dir / f"live-tests-{digest.hexdigest()[:16]}.json"
    if saved.is_file():
        data = json.loads(saved.read_text())
        progress(f"the live model's test results from {saved.name}")
        nlu = [NluReport(**{**r, "per_intent": {k: tuple(v) for k, v in r["per_intent"].items()}})
               for r in data["nlu"]]
        return nlu, StoryReport(**data["stories"]) if data["stories"] else None
    progress(f"testing the live model {live.name}")
    nlu, stories = run_tests(live, project_dir, datasets if datasets.is_dir() else None, out)
    for old in store.candidates_dir.glob("live-tests-*.json"):
        old.unlink(missing_ok=True)
    saved.write_text(json.dumps({"nlu": [dataclasses.asdict(r) for r in nlu],
                                 "stories": dataclasses.asdict(stories) if stories else None}))
    return nlu, stories


def voice_results(model: Path, scenarios: Path) -> dict[str, bool]:
    """{scenario name: passed} with `model` loaded by the scenarios' servers."""
    from bot.voice_tests.runner import run_with_servers
    from bot.voice_tests.scenario import load_all

    with tempfile.TemporaryDirectory(prefix="voicebot-voice-model-") as tmp:
        (Path(tmp) / model.name).symlink_to(model.resolve())
        before = os.environ.get("VOICEBOT_NLU__MODEL_DIR")
        os.environ["VOICEBOT_NLU__MODEL_DIR"] = tmp  # the servers the runner starts inherit it
        try:
            results = run_with_servers(load_all([scenarios]))
        finally:
            if before is None:
                os.environ.pop("VOICEBOT_NLU__MODEL_DIR", None)
            else:
                os.environ["VOICEBOT_NLU__MODEL_DIR"] = before
    return {r.scenario.name: bool(r.ok) for r in results}
