"""`voicebot review`: the reviewed examples as a YAML patch (export, import), and the candidate
model's promotion, discard and rollback from the command line (each one in the audit trail)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("review", help="reviewed examples and candidate models (docs/review.md)")
    parser.set_defaults(func=lambda args, settings: (parser.print_help(), 2)[1])
    actions = parser.add_subparsers(dest="review_command", metavar="ACTION")
    export = actions.add_parser("export", help="write the reviewed examples as a YAML patch")
    export.add_argument("--out", type=Path, help="file to write (default: stdout)")
    export.set_defaults(func=run_export)
    imported = actions.add_parser("import", help="apply a YAML patch written by `review export`")
    imported.add_argument("patch", type=Path)
    imported.set_defaults(func=run_import)
    status = actions.add_parser("status", help="the live model, the candidate and its report, the history")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=run_status)
    for name, help_text in (("promote", "make the candidate model live (the running bot swaps it in)"),
                            ("discard", "throw the candidate model away"),
                            ("rollback", "make the previous live model live again")):
        action = actions.add_parser(name, help=help_text)
        action.set_defaults(func=run_change, change=name)


def _paths(settings: Any) -> tuple[Path, Path]:
    return settings.path(settings.nlu.project_dir), settings.path(settings.review.phrase_list)


def run_export(args: argparse.Namespace, settings: Any) -> int:
    from nlu.teaching import export_patch

    text = export_patch(*_paths(settings))
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run_import(args: argparse.Namespace, settings: Any) -> int:
    from nlu.teaching import TeachError, import_patch

    try:
        added, present = import_patch(*_paths(settings)[:1], args.patch.read_text(encoding="utf-8"),
                                      _paths(settings)[1])
    except (OSError, TeachError, KeyError) as exc:
        print(f"voicebot review import: {exc}", file=sys.stderr)
        return 1
    print(f"{added} example(s) added, {present} already in the training data; "
          "check them with `voicebot validate`")
    return 0


def run_status(args: argparse.Namespace, settings: Any) -> int:
    from bot.cli.candidate import model_store

    status = model_store(settings).status()
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    print(f"live:      {status['live'] or '(none)'}")
    print(f"candidate: {status['candidate'] or '(none)'}")
    if status["report"]:
        print(f"           {status['report']['summary']}")
    print(f"history:   {', '.join(status['history']) or '(empty)'}")
    return 0


def run_change(args: argparse.Namespace, settings: Any) -> int:
    from bot.cli.candidate import model_store
    from nlu.model_store import ModelStoreError

    store = model_store(settings)
    who = f"cli:{getpass.getuser()}"
    try:
        entry = getattr(store, args.change)(who)
    except ModelStoreError as exc:
        print(f"voicebot review {args.change}: {exc}", file=sys.stderr)
        return 1
    asyncio.run(_audit(settings, who, entry))
    print(json.dumps(entry))
    return 0


async def _audit(settings: Any, who: str, entry: dict[str, Any]) -> None:
    from escalation.services import EscalationServices

    services = await EscalationServices.open_from_settings(settings, start_sweeper=False)
    try:
        await services.audit.record(who, f"model_{entry['action']}", "command line", entry)
    finally:
        await services.close()
