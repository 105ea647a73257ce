"""A complaint's ticket, whether the caller confirmed it or left it.

The dialogue creates the ticket at the read-back's "yes". A caller who hangs up, says
goodbye or is put through to a person after describing the problem but before that "yes"
left a complaint nobody would otherwise see: the description was only in the tracker, which
the end of the call forgets. As the call ends, the engine asks `left_ticket` for it; it is
filed like any other ticket, with a note that the caller did not confirm it, so the team
follows it up (a complaint is never lost).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

NOT_CONFIRMED = "Not confirmed by the caller: the call ended before the read-back was confirmed."
# Added at the call's end when it was handed over (queued or answered): an agent had the
# complaint's details in the handoff context and may have dealt with it, so the team checks
# before calling back.
HANDED_OVER = "The call was handed over to our team with these details: check whether an agent already dealt with it."


def new_reference() -> str:
    """An eight-digit complaint reference (random; the bot's ticket store keeps it)."""
    return str(secrets.randbelow(90_000_000) + 10_000_000)


def complaint_ticket(slots: Mapping[str, Any], reference: str, notes: str = "") -> dict[str, Any]:
    """The ticket the phone line persists (`BotTurn.ticket`), from the complaint form's slots."""
    ticket = {
        "reference": reference,
        "category": slots.get("complaint_category"),
        "description": slots.get("complaint_description"),
        "account_number": slots.get("account_number") or None,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return {**ticket, "notes": notes} if notes else ticket


def left_unconfirmed(slots: Mapping[str, Any]) -> bool:
    """Whether the slots hold a complaint described but never confirmed (no ticket made)."""
    return bool(slots.get("complaint_description")) and not slots.get("ticket_reference")


def left_ticket(slots: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ticket of a complaint described but never confirmed, or None (no description yet,
    or its ticket already made)."""
    if not left_unconfirmed(slots):
        return None
    return complaint_ticket(slots, new_reference(), NOT_CONFIRMED)


def handed_over(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """A left complaint's ticket, noting that the same call was handed over to the team."""
    return {**ticket, "notes": f"{ticket.get('notes') or ''} {HANDED_OVER}".strip()}
