"""`voicebot test voice [PATHS] [--url URL] [--junit PATH]`: run voice scenarios as real calls."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_DIR = "nlu/tests/voice"


DESCRIPTION = (
    "Place every voice scenario (YAML in nlu/tests/voice/) as a real call over the Twilio "
    "protocol, against a server started for the run (or --url), and check what the bot did "
    "against the scenario's expectations.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `voicebot test voice`."""
    parser.add_argument("paths", nargs="*", type=Path, help=f"scenario files or folders (default {DEFAULT_DIR})")
    parser.add_argument("--url", help="a running bot's Twilio media URL, e.g. ws://host:8080/twilio/media")
    parser.add_argument("--token", help="API token (scope calls:read) for --url's call records "
                        "(default: $VOICEBOT_API_TOKEN, else a temporary one in the configured store)")
    parser.add_argument("--junit", type=Path, metavar="PATH", help="write JUnit XML here")
    parser.add_argument("--concurrency", type=int, default=4, help="calls at a time (default 4)")
    parser.add_argument("--tag", action="append", default=[], help="only scenarios with this tag (repeatable)")
    parser.add_argument("--check", action="store_true", help="only load and check the files, place no calls")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voicebot test voice", description=DESCRIPTION)
    add_arguments(parser)
    return parser


async def _run_against(scenarios: list, args: argparse.Namespace, settings: Any, done: Any) -> list:
    from bot.caller.api_token import token_for
    from bot.voice_tests.runner import run_scenarios

    given = args.token or os.environ.get("VOICEBOT_API_TOKEN")
    async with token_for(settings, given, "voice-tests") as token:
        return await run_scenarios(scenarios, args.url, token, args.concurrency, done)


def main(argv: list[str], settings: Any) -> int:
    """`voicebot test voice ...` from its words after `voice`."""
    return run(build_parser().parse_args(argv), settings)


def run(args: argparse.Namespace, settings: Any) -> int:
    """Run the scenarios `args` name (parsed by `add_arguments`); the exit status."""
    from bot.voice_tests.report import scenario_text, summary_text, write_junit
    from bot.voice_tests.runner import ScenarioResult, run_with_servers
    from bot.voice_tests.scenario import ScenarioError, load_all

    paths = args.paths or [settings.path(Path(DEFAULT_DIR))]
    try:
        scenarios = load_all(paths)
    except ScenarioError as exc:
        print(f"voicebot test voice: {exc}", file=sys.stderr)
        return 2
    if args.tag:
        scenarios = [s for s in scenarios if set(args.tag) & set(s.tags)]
    if not scenarios:
        print("voicebot test voice: no scenarios found", file=sys.stderr)
        return 2
    if args.check:
        print(f"{len(scenarios)} scenarios OK")
        return 0

    def done(result: ScenarioResult) -> None:
        print(scenario_text(result), flush=True)

    started = time.monotonic()
    print(f"running {len(scenarios)} scenarios, {args.concurrency} calls at a time", flush=True)
    try:
        if args.url:
            runnable = [s for s in scenarios if not s.server]
            results = asyncio.run(_run_against(runnable, args, settings, done))
            by_id = {id(r.scenario): r for r in results}
            results = [by_id.get(id(s)) or ScenarioResult(s, skipped="needs its own server settings: "
                       + ", ".join(f"{k}={v}" for k, v in s.server.items())) for s in scenarios]
        else:
            results = run_with_servers(scenarios, args.concurrency, done, on_server=lambda s: print(s, flush=True))
    except (RuntimeError, OSError) as exc:
        print(f"voicebot test voice: {exc}", file=sys.stderr)
        return 1
    wall = time.monotonic() - started
    print()
    print(summary_text(results, wall))
    if args.junit:
        write_junit(results, args.junit, wall)
        print(f"wrote {args.junit}")
    return 0 if all(r.ok for r in results) else 1
