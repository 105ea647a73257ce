"""Run as a separate process by test_crash.py: queue 10 callers, open 5 tickets, then hang."""

from __future__ import annotations

import asyncio
import sys

from escalation.context import build_context
from tests.escalation.helpers import open_services

PRIORITIES = ["normal", "urgent", "complaint", "normal", "urgent",
              "complaint", "normal", "normal", "urgent", "complaint"]


def caller_context(i: int):
    return build_context(
        f"call-{i:02d}", f"+4479460000{i:02d}", "twilio" if i % 2 else "audiosocket",
        "complaint" if PRIORITIES[i] == "complaint" else "caller_request", PRIORITIES[i],
        "card_lost" if PRIORITIES[i] == "urgent" else "make_complaint", 0.5 + i / 40,
        {"category": "fees", "account_reference": f"1234{i:04d}"},
        [("bot", "How can I help?"), ("caller", f"caller {i} here, card 4111 1111 1111 1111")],
    )


async def main(backend: str, target: str, prefix: str) -> None:
    args = {"sqlite_path": target} if backend == "sqlite" else {"redis_url": target, "redis_prefix": prefix}
    services = await open_services(store=backend, start_sweeper=False, **args)
    for i in range(10):
        await services.enqueue(caller_context(i))
    for i in range(5):
        await services.create_ticket({"category": "fees", "description": f"complaint {i}",
                                      "account_reference": "87654321", "reference": f"C-{i}",
                                      "call_id": f"call-{i:02d}"})
    print("READY", flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
