"""`voicebot doctor`: every security-relevant setting, OK or WARN, and why."""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("doctor", help="check the deployment's security settings", description=__doc__)
    parser.add_argument("--host", help="check as if serving on this address (default: server.host)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.security.check import findings

    if args.host:
        settings.server.host = args.host
    results = findings(settings)
    for finding in results:
        print(finding.line())
    warnings = sum(not f.ok for f in results)
    print(f"{warnings} warning(s)" if warnings else "no warnings")
    return 1 if warnings else 0
