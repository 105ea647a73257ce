"""`voicebot train`: train the Rasa model when its data or config changed, then the
speech recogniser's domain language model from the same examples."""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "train",
        help="train the Rasa model when its data or config changed",
        description="Convert the datasets, train the Rasa model (skipped when data, domain, "
        "config and components are unchanged), then build the recogniser's domain language model "
        "and its telephone-channel adaptation, and render every fixed line for the configured voice.",
    )
    parser.add_argument("--force", action="store_true", help="train even when up to date")
    parser.add_argument("--no-lm", action="store_true", help="skip the speech language model")
    parser.add_argument("--candidate", action="store_true",
                        help="train a candidate beside the live model and test both (docs/review.md); "
                             "promote it with `voicebot review promote`")
    parser.add_argument("--voice", action="store_true",
                        help="with --candidate: also place the voice scenarios against both models")
    parser.add_argument("--no-prerender", action="store_true",
                        help="skip rendering the fixed lines for the configured voice")
    parser.set_defaults(func=run)


def progress(message: str) -> None:
    print(f"voicebot train: {message}", file=sys.stderr, flush=True)


def build_channel_adaptation(settings: Any, force: bool = False) -> None:
    """The telephone-channel MLLR transform; without its inputs the recognizer runs
    unadapted, so a missing package is a notice, not a failed training."""
    from stt.adaptation import AdaptationError, build_telephone_mllr, mllr_file
    from stt.asterisk_prompts import CorpusError

    if mllr_file(settings) is None:
        return
    try:
        path = build_telephone_mllr(settings, force=force)
    except (AdaptationError, CorpusError) as exc:
        progress(f"telephone-channel adaptation skipped (recognition is less accurate): {exc}")
        return
    progress(f"telephone-channel adaptation: {path}")


def build_speech_models(settings: Any, force: bool = False) -> str:
    """The recognizer's domain language model, then its telephone adaptation; "" when built,
    else why not (run in a child process beside the Rasa training, see `run`)."""
    from stt.language_model import build_configured_domain_lm

    try:
        build_configured_domain_lm(settings, progress)
    except Exception as exc:
        return f"speech language model failed: {exc}"
    build_channel_adaptation(settings, force=force)
    return ""


def prerender_voice(settings: Any) -> str:
    """Every fixed line in the configured voice; "" when done, else why not (child process)."""
    from bot.cli.prerender import prerender_fixed_lines

    return prerender_fixed_lines(settings, progress)


def run(args: argparse.Namespace, settings: Any) -> int:
    if args.candidate:
        from bot.cli import candidate

        return candidate.run(args, settings)
    from nlu.training import convert_datasets, describe_failure, quiet_rasa, train

    quiet_rasa()
    project_dir = settings.path(settings.nlu.project_dir)
    model_dir = settings.path(settings.nlu.model_dir)
    try:
        convert_datasets(project_dir, settings.path(settings.nlu.datasets_dir), progress)
    except FileNotFoundError as exc:
        print(f"voicebot train: {exc}", file=sys.stderr)
        return 1
    # The speech models need only the converted text, and their build is single-threaded
    # Python: a second process builds them while Rasa trains (about 2 minutes saved on 2 cores).
    # The fixed lines are rendered beside them too (the synthesis workers run at nice 5).
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as speech:
        speech_built = voice_rendered = None
        if not args.no_lm and settings.stt.domain_language_model:
            speech_built = speech.submit(build_speech_models, settings, args.force)
        if not args.no_prerender:
            voice_rendered = speech.submit(prerender_voice, settings)
        try:
            result = train(
                project_dir, model_dir, settings.path(settings.nlu.datasets_dir),
                force=args.force, progress=progress, converted=True,
            )
        except Exception as exc:  # Rasa's own errors name the file; pass them on in one line
            print(f"voicebot train: training failed: {describe_failure(exc)}", file=sys.stderr)
            return 1
        failure = speech_built.result() if speech_built is not None else ""
        if voice_rendered is not None and (why := voice_rendered.result()):
            progress(f"{why} (the bot synthesises them on the call instead)")
    if failure:
        print(f"voicebot train: {failure}", file=sys.stderr)
        return 1
    print(result.model_path)
    return 0
