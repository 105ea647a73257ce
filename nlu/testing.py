"""`voicebot test`: Rasa's NLU evaluation and story tests, summarised for a designer.

NLU: the Banking77 test split (converted into build/tests/, never trained on) and the
hand-written `tests/nlu*.yml` examples. Stories: every `tests/*stories*.yml`, end to end
(user sentences go through the NLU), with the custom actions in process.
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlu.convert import clean, to_yaml


@dataclass
class NluReport:
    name: str
    examples: int
    accuracy: float
    macro_f1: float
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # text, gold, predicted
    per_intent: dict[str, tuple[float, int]] = field(default_factory=dict)  # intent: (recall, support)


@dataclass
class StoryReport:
    total: int
    failed: list[str]
    failed_stories_yaml: str
    action_accuracy: float


def write_banking77_test(datasets: Path, out_dir: Path) -> Path:
    """The Banking77 test split as Rasa NLU test data (an evaluation-only file)."""
    by_intent: dict[str, list[str]] = {}
    with (datasets / "banking77" / "test.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent.setdefault(row["category"], []).append(clean(row["text"]))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "banking77_test.yml"
    path.write_text(to_yaml(by_intent, "Banking77 test.csv (CC BY 4.0), for evaluation only"))
    return path


def nlu_test_files(project_dir: Path, datasets: Path | None) -> list[Path]:
    files = sorted((project_dir / "tests").glob("nlu*.yml"))
    if datasets is not None and (datasets / "banking77" / "test.csv").is_file():
        files.insert(0, write_banking77_test(datasets, project_dir / "build" / "tests"))
    return files


def _scored_as_classified(parse: Any) -> Any:
    """`processor.parse_message` with a clarifying question turned back into the classifier's
    best intent: Rasa's evaluation undoes the fallback the same way, so that accuracy scores
    the classifier (what the questions do: `voicebot bench nlu`)."""
    from nlu.clarify import CLARIFY_INTENT, FALLBACK_INTENT

    async def parse_message(*args: Any, **kwargs: Any) -> dict[str, Any]:
        result = await parse(*args, **kwargs)
        if (result.get("intent") or {}).get("name") == CLARIFY_INTENT:
            ranking = [r for r in result.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
            result = {**result, "intent": ranking[0]} if ranking else result
        return result

    return parse_message


async def _nlu_report(agent: Any, path: Path, out_dir: Path) -> NluReport:
    from rasa.nlu.test import run_evaluation

    processor = agent.processor
    processor.parse_message = _scored_as_classified(type(processor).parse_message.__get__(processor))
    try:
        result = await run_evaluation(
            str(path), processor, output_directory=str(out_dir), errors=True,
            disable_plotting=True, report_as_dict=True,
        )
    finally:
        del processor.parse_message  # the class's own again, for the story tests
    intent = result.get("intent_evaluation") or {}
    report = intent.get("report") or {}
    errors = [
        (p["text"], p["intent"], p["predicted"] or "")
        for p in intent.get("predictions") or []
        if p["intent"] != p["predicted"]
    ]
    confusions = Counter((gold, predicted) for _, gold, predicted in errors)
    examples = int((report.get("macro avg") or {}).get("support", 0)) or len(
        intent.get("predictions") or []
    )
    return NluReport(
        name=path.name,
        examples=examples,
        accuracy=float(intent.get("accuracy") or report.get("accuracy") or 0.0),
        macro_f1=float((report.get("macro avg") or {}).get("f1-score", 0.0)),
        confusions=[(g, p, n) for (g, p), n in confusions.most_common(8)],
        errors=errors,
        per_intent={name: (float(row.get("recall", 0.0)), int(row.get("support", 0)))
                    for name, row in report.items()
                    if isinstance(row, dict) and "recall" in row and not name.endswith(" avg")},
    )


async def _story_report(agent: Any, stories: Path, out_dir: Path) -> StoryReport:
    from rasa.core.test import test

    result = await test(
        str(stories), agent, out_directory=str(out_dir), e2e=True, disable_plotting=True,
        errors=True, warnings=False,
    )
    report = result.get("report") or {}
    conversations = report.get("conversation_accuracy") or {}
    failed_file = out_dir / "failed_test_stories.yml"
    failed_yaml = failed_file.read_text() if failed_file.is_file() else ""
    failed = [
        re.sub(r" \([^()]*\.ya?ml\)$", "", line.split(":", 1)[1].strip())  # drop "(file)"
        for line in failed_yaml.splitlines()
        if line.strip().startswith("- story:")
    ]
    return StoryReport(
        total=int(conversations.get("total", 0)),
        failed=failed,
        failed_stories_yaml=failed_yaml,
        action_accuracy=float(result.get("accuracy") or 0.0),
    )


def run_tests(
    model_path: Path, project_dir: Path, datasets: Path | None, out_dir: Path,
    nlu: bool = True, stories: bool = True,
) -> tuple[list[NluReport], StoryReport | None]:
    """Run the NLU and story tests of a project against a trained model."""
    from nlu.rasa_runtime import load_agent

    agent = load_agent(model_path)
    out_dir.mkdir(parents=True, exist_ok=True)

    async def run() -> tuple[list[NluReport], StoryReport | None]:
        nlu_reports = []
        if nlu:
            for path in nlu_test_files(project_dir, datasets):
                nlu_reports.append(await _nlu_report(agent, path, out_dir / f"nlu-{path.stem}"))
        story_report = None
        story_files = sorted((project_dir / "tests").glob("*stories*.yml"))
        if stories and story_files:
            story_dir = out_dir / "stories"
            story_dir.mkdir(parents=True, exist_ok=True)
            story_report = await _story_report(agent, project_dir / "tests", story_dir)
        return nlu_reports, story_report

    return asyncio.run(run())


def format_report(nlu_reports: list[NluReport], story: StoryReport | None) -> str:
    """A plain-text report a conversation designer can read."""
    lines = []
    for r in nlu_reports:
        lines.append(f"NLU {r.name}: {r.examples} examples, accuracy {100 * r.accuracy:.2f} %, "
                     f"macro-F1 {100 * r.macro_f1:.2f} %")
        for gold, predicted, n in r.confusions:
            lines.append(f"    {n:3d} x  {gold}  understood as  {predicted}")
        if len(r.errors) <= 15:
            for text, gold, predicted in r.errors:
                lines.append(f"    wrong: {text!r} is {gold}, understood as {predicted}")
    if story is not None:
        passed = story.total - len(story.failed)
        lines.append(f"Stories: {passed} of {story.total} passed "
                     f"(action accuracy {100 * story.action_accuracy:.1f} %)")
        for name in story.failed:
            lines.append(f"    FAILED: {name}")
        if story.failed:
            lines.append("  Failed stories, with what the bot did instead (# predicted):")
            lines.extend("    " + line for line in story.failed_stories_yaml.splitlines())
    return "\n".join(lines)


def summary_json(nlu_reports: list[NluReport], story: StoryReport | None) -> str:
    return json.dumps({
        "nlu": [
            {"file": r.name, "examples": r.examples, "accuracy": r.accuracy, "macro_f1": r.macro_f1}
            for r in nlu_reports
        ],
        "stories": None if story is None else {
            "total": story.total, "failed": story.failed, "action_accuracy": story.action_accuracy,
        },
    })
