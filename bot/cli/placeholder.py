"""Subcommands that a later issue fills in say so plainly instead of failing."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register_placeholder(sub: Any, name: str, help_text: str, issue: str) -> argparse.ArgumentParser:
    """Add a subcommand that explains it is not available yet (exit status 3)."""
    parser = sub.add_parser(name, help=f"{help_text} (not available yet)", description=help_text)
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def run(args: argparse.Namespace, settings: Any) -> int:
        print(f"voicebot {name}: not available yet ({issue}).", file=sys.stderr)
        return 3

    parser.set_defaults(func=run)
    return parser
