"""`voicebot validate`: check the Rasa training data and the spoken answers."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "validate",
        help="check the Rasa training data and the spoken answers",
        description="Rasa's `data validate` plus the phone line's rules: every FAQ has a "
        "spoken answer; no answer has a URL, markdown or a list, or more than 45 words.",
    )
    parser.add_argument("--no-rasa", action="store_true", help="only our checks (fast)")
    parser.add_argument("--strict", action="store_true", help="warnings fail too")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    from nlu.training import data_dirs, quiet_rasa

    quiet_rasa()
    from nlu.validation import validate

    project_dir = settings.path(settings.nlu.project_dir)
    if not (project_dir / "config.yml").is_file():
        print(f"voicebot validate: no Rasa project at {project_dir}", file=sys.stderr)
        return 1
    try:
        problems = validate(project_dir, data_dirs(project_dir), with_rasa=not args.no_rasa)
    except Exception as exc:  # Rasa's loader errors already name the file
        print(f"voicebot validate: {exc}", file=sys.stderr)
        return 1
    problems += _phrase_problems()
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0


def _phrase_problems() -> list[Any]:
    """The speech LM's caller phrase templates (stt/phone_phrases.txt) must expand."""
    from nlu.validation import Problem
    from stt.language_model import PHONE_PHRASES
    from stt.phrase_templates import TemplateError, load_templates

    try:
        load_templates(PHONE_PHRASES)
    except TemplateError as exc:
        where, _, message = str(exc).partition(": ")
        path, _, line = where.rpartition(":")
        return [Problem(path, int(line) if line.isdigit() else None, "error", message)]
    return []
