"""`voicebot agents add|list|remove`: the people who may log in to the agent console."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("agents", help="add, list and remove console agents",
                            description="Manage the agents who log in to /console. They are kept "
                                        "in the escalation store (SQLite file or Redis).")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    add = actions.add_parser("add", help="add an agent (asks for the password)")
    add.add_argument("username", help="login name: lower-case letters, digits, . _ -")
    add.add_argument("--role", choices=["agent", "supervisor", "designer"], default="agent")
    add.add_argument("--name", default="", help="display name shown in the console")
    add.add_argument("--skills", default="", help="comma-separated skills, e.g. french,cards")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    actions.add_parser("list", help="list agents with role and presence")
    remove = actions.add_parser("remove", help="remove an agent and end their sessions")
    remove.add_argument("username")
    parser.set_defaults(func=run, agents_parser=parser)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Password for {args.username}: ")
    if first != getpass.getpass("Again: "):
        raise ValueError("the two passwords differ")
    return first


async def _run(args: argparse.Namespace, settings: Any) -> int:
    from escalation.services import EscalationServices

    services = await EscalationServices.open_from_settings(settings, start_sweeper=False)
    try:
        if args.action == "add":
            skills = [s.strip() for s in args.skills.split(",") if s.strip()]
            agent = await services.agents.add(args.username, _password(args), args.role,
                                              args.name, skills)
            print(f"added {agent.role} {agent.username}")
        elif args.action == "list":
            agents = await services.agents.list()
            if not agents:
                print("no agents yet: voicebot agents add NAME")
            for agent in agents:
                skills = ",".join(agent.skills) or "-"
                print(f"{agent.username:<20} {agent.role:<11} {agent.presence:<10} {skills:<16} {agent.display_name}")
        elif args.action == "remove":
            if not await services.agents.remove(args.username):
                print(f"voicebot agents: no agent {args.username!r}", file=sys.stderr)
                return 1
            print(f"removed {args.username}")
    finally:
        await services.close()
    return 0


def run(args: argparse.Namespace, settings: Any) -> int:
    if not args.action:
        args.agents_parser.print_help()
        return 2
    from escalation.agents import AgentError
    from escalation.hours import HoursError
    from escalation.stores import StoreError

    try:
        return asyncio.run(_run(args, settings))
    except (AgentError, StoreError, HoursError, ValueError) as exc:
        print(f"voicebot agents: {exc}", file=sys.stderr)
        return 1
