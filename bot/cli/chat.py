"""`voicebot chat`: talk to the bot in the terminal.

On a terminal: a prompt, the bot's words, and a line saying the handoff or hang-up.
When stdin is not a terminal: one caller line per input line, one JSON object per turn
(text, intent, confidence, responses, handoff, end_call, slots, ticket, expect).
A line `#digits 1234` sends keypad digits; `#no_input` sends that event.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from dataclasses import asdict
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "chat",
        help="talk to the bot in the terminal",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--model", help="model file (default: the newest trained model)")
    parser.add_argument("--no-greeting", action="store_true", help="do not send call_start first")
    parser.add_argument("--json", action="store_true", help="JSON lines even on a terminal")
    parser.set_defaults(func=run)


def parse_line(line: str) -> Any:
    """A typed line as engine input."""
    from nlu.engine import Digits, Event, Text

    stripped = line.strip()
    if stripped.startswith("#digits"):
        return Digits(stripped[len("#digits") :].strip())
    if stripped == "#no_input":
        return Event("no_input")
    return Text(stripped)


def turn_json(text: str, turn: Any) -> dict[str, Any]:
    return {
        "text": text,
        "intent": turn.intent,
        "confidence": round(turn.confidence, 4),
        "responses": turn.texts,
        "handoff": asdict(turn.handoff) if turn.handoff else None,
        "end_call": turn.end_call,
        "slots": turn.slots,
        "ticket": turn.ticket,
        "expect": turn.expect,
    }


def show(turn: Any) -> None:
    for text in turn.texts:
        print(f"bot> {text}")
    if turn.handoff:
        print(f"     [handoff to a person: reason={turn.handoff.reason}, priority={turn.handoff.priority}]")
    if turn.ticket:
        print(f"     [ticket {turn.ticket.get('reference')}]")
    if turn.end_call:
        print("     [call ended]")


async def chat(model: Any, timeout_s: float, greeting: bool, as_json: bool) -> int:
    from nlu.engine import Event, RasaEngine

    engine = await RasaEngine.load(model, timeout_s)
    call_id = f"chat-{uuid.uuid4().hex[:8]}"
    loop = asyncio.get_running_loop()
    try:
        if greeting:
            turn = await engine.handle(call_id, Event("call_start"))
            if as_json:
                print(json.dumps(turn_json("", turn)), flush=True)
            else:
                show(turn)
        while True:
            if not as_json:
                print("you> ", end="", flush=True)
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            if not line.strip():
                continue
            turn = await engine.handle(call_id, parse_line(line))
            if as_json:
                print(json.dumps(turn_json(line.strip(), turn)), flush=True)
            else:
                show(turn)
            if turn.end_call:
                break
    finally:
        await engine.end_call(call_id)
        await engine.close()
    return 0


def run(args: argparse.Namespace, settings: Any) -> int:
    from pathlib import Path

    from nlu.training import latest_model, quiet_rasa

    quiet_rasa()
    model = Path(args.model) if args.model else latest_model(settings.path(settings.nlu.model_dir))
    if model is None or not model.is_file():
        print("voicebot chat: no trained model; run `voicebot train` first", file=sys.stderr)
        return 1
    as_json = args.json or not sys.stdin.isatty()
    if not as_json:
        print(f"Talking to {model.name}. Ctrl-D ends the call; '#digits 123' sends keypad digits.")
    return asyncio.run(chat(model, settings.nlu.turn_timeout_s, not args.no_greeting, as_json))
