"""`voicebot test`: run the Rasa NLU and story tests with a readable report."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.voice_tests import cli as voice_cli


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "test",
        help="run the Rasa NLU and story tests",
        description="Evaluate the trained model: NLU on the Banking77 test split and "
        "nlu/tests/nlu*.yml, conversations on nlu/tests/*stories*.yml (end to end).",
    )
    parser.add_argument("--model", help="model file (default: the newest trained model)")
    parser.add_argument("--stories-only", action="store_true", help="skip the NLU evaluation")
    parser.add_argument("--nlu-only", action="store_true", help="skip the story tests")
    parser.add_argument("--out", type=Path, help="keep Rasa's detailed results in this folder")
    parser.add_argument("--min-accuracy", type=float, default=0.9,
                        help="fail when an NLU test file scores below this (default 0.9)")
    parser.set_defaults(func=run)
    modes = parser.add_subparsers(dest="mode", metavar="MODE")
    voice = modes.add_parser("voice", help="place the voice scenarios as real calls",
                             description=voice_cli.DESCRIPTION)
    voice_cli.add_arguments(voice)
    voice.set_defaults(func=voice_cli.run)


def run(args: argparse.Namespace, settings: Any) -> int:
    from nlu.training import latest_model, quiet_rasa

    quiet_rasa()
    from nlu.testing import format_report, run_tests

    model = Path(args.model) if args.model else latest_model(settings.path(settings.nlu.model_dir))
    if model is None or not model.is_file():
        print("voicebot test: no trained model; run `voicebot train` first", file=sys.stderr)
        return 1
    datasets = settings.path(settings.nlu.datasets_dir)
    with tempfile.TemporaryDirectory(prefix="voicebot-test-") as tmp:
        out_dir = args.out or Path(tmp)
        try:
            nlu_reports, story = run_tests(
                model, settings.path(settings.nlu.project_dir),
                datasets if datasets.is_dir() else None, out_dir,
                nlu=not args.stories_only, stories=not args.nlu_only,
            )
        except Exception as exc:
            print(f"voicebot test: {exc}", file=sys.stderr)
            return 1
    print(f"model: {model.name}")
    print(format_report(nlu_reports, story))
    failed = bool(story and story.failed) or any(r.accuracy < args.min_accuracy for r in nlu_reports)
    print("FAILED" if failed else "OK")
    return 1 if failed else 0
