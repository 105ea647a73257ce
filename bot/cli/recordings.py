"""`voicebot recordings purge|list|key`: call recordings on this machine (docs/recordings.md)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import time
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("recordings", help="purge or list call recordings; make an encryption key",
                            description=__doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("purge", help="delete recordings older than recording.retention_days (audited)")
    actions.add_parser("list", help="list stored recordings, newest first")
    actions.add_parser("key", help="print a new key for recording.encryption_key")
    parser.set_defaults(func=run, recordings_parser=parser)


async def _purge(settings: Settings) -> list[str]:
    from bot.services_factory import open_recordings
    from escalation.services import EscalationServices

    escalation = await EscalationServices.open_from_settings(settings, start_sweeper=False)
    try:
        desk = await open_recordings(settings, escalation)
        try:
            return await desk.purge(who=f"cli:{getpass.getuser()}")
        finally:
            desk.close()
    finally:
        await escalation.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.recording import library
    from bot.recording.crypto import new_key

    directory = settings.data_path(settings.recording.dir)
    if args.action == "purge":
        gone = asyncio.run(_purge(settings))
        print(f"purged {len(gone)} recording(s) older than {settings.recording.retention_days} days")
    elif args.action == "list":
        for meta in library.listing(directory, limit=10_000):
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(meta["started_at"]))
            print(f"{when}  {meta['call_id']:<40} {meta['duration_s']:>7.1f} s  {len(meta['paused'])} pause(s)"
                  f"  {'encrypted' if meta.get('encrypted') else ''}")
    elif args.action == "key":
        print(new_key())
    else:
        args.recordings_parser.print_help()
        return 2
    return 0
