"""`voicebot call`: dial a running bot over the Twilio protocol in real time and speak turns.

Turns run in the order given: `--say TEXT` (spoken by a synthetic caller voice through the
8 kHz mu-law path), `--wav FILE`, `--press DIGITS`, `--silence SECONDS`. After each turn the
caller listens to the bot's reply. The call is printed as JSON: what the bot said, the
intents, the latency of every turn, and the outcome (from the bot's own call record).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

from bot.config import Settings


class _Turn(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None) -> None:
        turns = getattr(namespace, "turns", None) or []
        turns.append((self.dest, values))
        namespace.turns = turns


def register(sub: Any) -> None:
    parser = sub.add_parser("call", help="dial a running bot over the Twilio protocol",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="Twilio stream URL (default ws://HOST:PORT/twilio/media from config)")
    parser.add_argument("--token", help="API token (scope calls:read) to read the call's record "
                        "(default: $VOICEBOT_API_TOKEN, else a temporary one in the configured store)")
    parser.add_argument("--voice", default="rms", help="caller voice: kal, awb, rms, slt, festival_slt")
    parser.add_argument("--caller", default="+15550100123", help="caller number to present")
    parser.add_argument("--say", action=_Turn, metavar="TEXT", help="speak TEXT (repeatable)")
    parser.add_argument("--wav", action=_Turn, metavar="FILE", help="play a WAV file (repeatable)")
    parser.add_argument("--press", action=_Turn, metavar="DIGITS", help="press keypad keys")
    parser.add_argument("--silence", action=_Turn, metavar="SECONDS", help="stay silent")
    parser.add_argument("--reply-timeout", type=float, default=15.0, help="seconds to wait for a reply")
    parser.set_defaults(func=run, turns=[])


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.caller.api_token import token_for
    from bot.caller.dial import CallerTurn, dial
    from bot.caller.voices import VoiceError
    from escalation.stores import StoreError
    from stt.audio import AudioFormatError

    url = args.url or f"ws://{settings.server.host}:{settings.server.port}/twilio/media"
    given = args.token or os.environ.get("VOICEBOT_API_TOKEN")

    async def call(turns: list) -> dict:
        async with token_for(settings, given, "voicebot-call") as token:
            return await dial(url, token, turns, caller=args.caller, reply_timeout_s=args.reply_timeout,
                              auth_token=settings.calls.twilio_auth_token)

    try:
        turns = [CallerTurn.parse(kind, value, args.voice) for kind, value in args.turns]
        result = asyncio.run(call(turns))
    except (VoiceError, AudioFormatError, ValueError, FileNotFoundError, StoreError) as exc:
        print(f"voicebot call: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"voicebot call: cannot reach {url}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0 if result.get("connected") else 1

