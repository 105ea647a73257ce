"""`voicebot tokens add|list|revoke`: API tokens for machine-to-machine reads.

`voicebot tokens add ci --scope calls:read` prints a token once (only its hash is kept, in the
escalation store); tools send it as `Authorization: Bearer vbt_...`. Scopes: calls:read
(call records at /calls/ID, used by `voicebot call`, `voicebot test voice`, the benchmarks),
transfers:read (the Asterisk dialplan's /asterisk/transfer/UUID look-up).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("tokens", help="add, list and revoke API tokens", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    add = actions.add_parser("add", help="make a token and print it (once)")
    add.add_argument("name", help="what the token is for, e.g. ci or asterisk")
    add.add_argument("--scope", action="append", required=True,
                     help="calls:read or transfers:read (repeatable)")
    add.add_argument("--days", type=float, default=90, help="lifetime in days (default 90)")
    actions.add_parser("list", help="list tokens: name, scopes, expiry, revoked, last use")
    revoke = actions.add_parser("revoke", help="revoke the tokens with this name")
    revoke.add_argument("name")
    parser.set_defaults(func=run, tokens_parser=parser)


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


async def _run(args: argparse.Namespace, settings: Any) -> int:
    from bot.caller.api_token import api_tokens_of

    async with api_tokens_of(settings) as tokens:
        if args.action == "add":
            token, record = await tokens.add(args.name, args.scope, args.days)
            print(token)
            print(f"added {record['name']} ({', '.join(record['scopes'])}), expires "
                  f"{_when(record['expires_at'])}; it is shown only now", file=sys.stderr)
        elif args.action == "list":
            records = await tokens.list()
            if not records:
                print("no tokens yet: voicebot tokens add NAME --scope calls:read")
            for r in records:
                state = "revoked" if r.get("revoked_at") else (
                    "expired" if r["expires_at"] < time.time() else "live")
                print(f"{r['name']:<20} {','.join(r['scopes']):<26} {state:<8} "
                      f"expires {_when(r['expires_at'])}  last used {_when(r.get('last_used_at'))}")
        elif args.action == "revoke":
            if not await tokens.revoke(args.name):
                print(f"voicebot tokens: no live token named {args.name!r}", file=sys.stderr)
                return 1
            print(f"revoked {args.name}")
    return 0


def run(args: argparse.Namespace, settings: Any) -> int:
    if not args.action:
        args.tokens_parser.print_help()
        return 2
    from escalation.api_tokens import TokenError
    from escalation.stores import StoreError

    try:
        return asyncio.run(_run(args, settings))
    except (TokenError, StoreError) as exc:
        print(f"voicebot tokens: {exc}", file=sys.stderr)
        return 1
