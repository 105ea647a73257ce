"""`voicebot` command line: one module per subcommand, each with `register(subparsers)`.

A subcommand module defines `register(sub)` which adds its parser and sets
`func=run`, where `run(args, settings) -> int` returns the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from pathlib import Path

from bot.config import ConfigError, load_settings
from bot.log import setup_logging

COMMANDS = [
    "serve", "chat", "train", "validate", "test", "call", "calls",
    "transcribe", "say", "bench", "models", "agents", "tokens", "doctor", "recordings",
    "review",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voicebot",
        description="Self-hosted voice bot for tier-1 inbound customer calls.",
    )
    parser.add_argument("--config", type=Path, help="YAML file overriding the defaults (bot/voicebot.yml lists them)")
    parser.add_argument("--log-json", action="store_true", help="log JSON lines")
    parser.add_argument(
        "--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log level"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"bot.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"voicebot: {exc}", file=sys.stderr)
        return 2
    if args.config:  # what this process starts (the console's candidate training) reads it too
        os.environ["VOICEBOT_CONFIG"] = str(args.config.resolve())
    if args.log_json:
        settings.logging.json_lines = True
    if args.log_level:
        settings.logging.level = args.log_level
    setup_logging(settings.logging.level, settings.logging.json_lines)
    # Rasa, TensorFlow and matplotlib warn about their own dependencies at import time (and
    # reset the warning filters while doing so); an operator can do nothing about those
    # lines, so warnings go to the log and show only at DEBUG.
    logging.captureWarnings(True)
    if settings.logging.level != "DEBUG":
        logging.getLogger("py.warnings").setLevel(logging.ERROR)
    try:
        return int(args.func(args, settings) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
