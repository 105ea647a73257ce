"""`voicebot serve`: run the bot's server (phone channels, browser page, console, API, metrics)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("serve", help="run the bot server", description=__doc__)
    parser.add_argument("--host", help="address to listen on (default: server.host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="HTTP port (default: server.port, 8080)")
    parser.set_defaults(func=run)


def _print_banner(settings: Settings, base_url: str) -> None:
    ws_url = base_url.replace("http://", "ws://")
    lines = [
        f"voicebot is up at {base_url}",
        f"  health     {base_url}/healthz   readiness {base_url}/readyz",
        f"  browser    {base_url}/browser   (call the bot from your browser)",
        f"  console    {base_url}/console   (agents; add one with `voicebot agents add`)",
        f"  twilio     {ws_url}/twilio/media",
        f"  metrics    {base_url}/metrics",
    ]
    if settings.calls.audiosocket_port:
        lines.append(f"  audiosocket tcp://{settings.server.host}:{settings.calls.audiosocket_port}")
    lines.append("Stop with Ctrl-C (active calls are let finish).")
    print("\n".join(lines), flush=True)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_application
    from bot.server import serve

    if args.host:
        settings.server.host = args.host
    if args.port:
        settings.server.port = args.port
    from bot.security.check import is_loopback_host, weak_secrets

    weak = weak_secrets(settings)
    if weak and not is_loopback_host(settings.server.host):
        print(f"voicebot serve: refusing to listen on {settings.server.host}: {weak[0]}", file=sys.stderr)
        return 2
    app = build_application(settings)
    try:
        asyncio.run(
            serve(app, settings.server.host, settings.server.port,
                  on_ready=lambda url: _print_banner(settings, url))
        )
    except OSError as exc:
        print(f"voicebot serve: cannot start: {exc.strerror or exc} ({_port_hint(exc)})", file=sys.stderr)
        return 1
    return 0


def _port_hint(exc: OSError) -> str:
    text = str(exc)
    if "address already in use" in text.lower() or exc.errno == 98:
        return ("another process holds the port: stop it, or choose another with --port, "
                "VOICEBOT_SERVER__PORT or VOICEBOT_CALLS__AUDIOSOCKET_PORT")
    return text
