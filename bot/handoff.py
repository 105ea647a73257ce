"""Handing a caller to a person: transfer to a number, or queue for the console and hold.

While the caller waits they hear their position and the estimated wait, repeated, with
hold audio between; "call me back" or keypad 1 turns the wait into a callback task.
Outside business hours the caller is offered a callback instead of a queue.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import TYPE_CHECKING, Any

from bot import prompts
from bot.hold_audio import hold_music
from escalation.context import build_context
from escalation.services import EscalationError
from escalation.store import StoreError
from nlu.engine import Digits, Text

if TYPE_CHECKING:
    from bot.call import CallSession
    from bot.call_services import CallServices
    from nlu.engine import Handoff

log = logging.getLogger(__name__)

CALLBACK_WORDS = re.compile(r"\b(call(ing)? me back|callback|call back|ring me back)\b", re.I)
CLOSED = ("Our colleagues are not available right now. I can arrange for someone to call you "
          "back: press 1 or say call me back. Otherwise, please call again during opening hours.")
CALLBACK_BOOKED = "Thank you. We'll call you back as soon as a colleague is free. Goodbye."
OFFER_CALLBACK = "If you'd rather not wait, press 1 or say call me back."
CLOSED_GOODBYE = "Thank you for calling. Goodbye."
STORE_DOWN = ("I'm sorry, I can't put you through to a colleague right now because of a technical "
              "problem. I've kept your details, and a colleague will call you back as soon as "
              "possible. Goodbye.")
STORE_RETRY_S = 3.0  # hold music between attempts to reach an unreachable queue store
OFFERED_POLL_S = 2.0
BOT_ENDED = ("server_shutdown", "max_call_length", "internal_error", "handoff_failed")


class HandoffDesk:
    """Carries out a dialogue's handoff request for one process's calls."""

    def __init__(self, services: CallServices) -> None:
        self.services = services

    async def hand_off(self, session: CallSession, handoff: Handoff) -> None:
        settings = self.services.settings.escalation
        escalation = self.services.escalation
        context = _context(session, handoff)
        target = settings.transfer_targets.get(handoff.priority) or settings.transfer_target
        if target:
            if escalation is not None:  # the screen pop of whoever answers the transferred call
                try:
                    await escalation.record_transfer(context, target)
                except StoreError as exc:  # the transfer matters more than its screen pop
                    log.warning("transfer context not stored (escalation store unreachable: %s)", exc)
            await session.speak([prompts.CONNECTING])
            if await session.channel.transfer(target):
                session.finish("transferred")
                return
        if escalation is None:
            await self._goodbye(session, prompts.NO_AGENT_TRANSFER, "no_agents")
            return
        if not escalation.is_open():
            await self._closed(session, context.to_dict())
            return
        # The node that holds the audio: another bot machine sharing the queue can tell a
        # call that is here from one that died with its process (escalation.services).
        try:
            await escalation.enqueue({**context.to_dict(), "node": escalation.node_id})
        except StoreError as exc:
            await self._store_down(session, context.to_dict(), exc)
            return
        session.on_hangup(lambda: self._left_queue(session))
        session.input_handler = lambda user_input: self._while_waiting(session, user_input)
        session.start_background(self.hold(session))

    async def _store_down(self, session: CallSession, context: dict[str, Any], exc: Exception) -> None:
        """The queue store is unreachable: no queue to wait in, so the escalation becomes a
        callback task (spooled locally until the store is back) and the caller is told so."""
        log.warning("cannot queue the call, escalation store unreachable (%s): booking a "
                    "callback instead", exc)
        session.state = "ending"
        record, spooled = await self.services.escalation.keep_callback(
            session.context.caller or "", context, session.call_id, context["reason"],
            context["priority"], notes="queue store unreachable when the caller asked for a person")
        await self.services.records.event(session.call_id, "callback_requested", id=record["id"],
                                          spooled=spooled)
        await self._goodbye(session, STORE_DOWN, "callback")

    async def _spool_callback(self, session: CallSession, notes: str = "") -> None:
        """A holding caller's callback while the store is unreachable: a spooled task, and
        their queue entry removed once the store is back."""
        escalation = self.services.escalation
        context = _context(session, session.handoff).to_dict()
        await escalation.keep_callback(session.context.caller or "", context, session.call_id,
                                       context["reason"], context["priority"], notes=notes)
        await escalation.abandon(session.call_id)

    async def _left_queue(self, session: CallSession) -> None:
        """The call ended while holding: the caller hung up, or the bot ended it (shutdown,
        time limit, failure) - then the escalation must not be lost: a callback task."""
        escalation = self.services.escalation
        if session.end_reason in BOT_ENDED:
            with contextlib.suppress(EscalationError):
                try:
                    await escalation.request_callback(session.call_id, why=session.end_reason)
                except StoreError:
                    await self._spool_callback(session, notes=f"call lost: {session.end_reason}")
                return
        await escalation.abandon(session.call_id)

    async def hold(self, session: CallSession) -> None:
        """Announce position and wait, then hold audio, until an agent takes the call."""
        escalation = self.services.escalation
        interval = self.services.settings.escalation.hold_announce_interval_s
        first = True
        store_failed = False
        while session.state == "holding":
            try:
                info = await escalation.wait_info(session.call_id)
                entry = None if info else await escalation.store.get(session.call_id)
            except StoreError as exc:  # the queue is still there once the store is back
                if not store_failed:
                    log.warning("escalation store unreachable while the caller holds (%s); "
                                "hold music continues", exc)
                store_failed = True
                await session.play_audio(hold_music(session.channel.output_format, STORE_RETRY_S))
                continue
            if info is None:
                if entry is None or entry.state != "offered":  # connected, or a callback now
                    return
                # An agent pressed accept but is not on the line yet: keep the music going (a
                # missed offer goes back to the queue, and the announcements resume).
                await session.play_audio(hold_music(session.channel.output_format, OFFERED_POLL_S))
                continue
            lines = [prompts.CONNECTING, info.announcement(), OFFER_CALLBACK] if first \
                else [info.announcement()]
            first = False
            await session.speak(lines)
            if session.state != "holding":
                return
            await session.play_audio(hold_music(session.channel.output_format, interval))

    async def _while_waiting(self, session: CallSession, user_input: Any) -> None:
        wants_callback = (isinstance(user_input, Digits) and user_input.digits == "1") or (
            isinstance(user_input, Text) and CALLBACK_WORDS.search(user_input.text)
        )
        if not wants_callback or session.state not in ("holding",):
            return
        session.state = "ending"
        session.stop_audio()
        try:
            await self.services.escalation.request_callback(session.call_id, session.context.caller or None)
        except StoreError as exc:
            log.warning("escalation store unreachable (%s): callback kept in the local spool", exc)
            await self._spool_callback(session)
        await self.services.records.event(session.call_id, "callback_requested")
        await self._goodbye(session, CALLBACK_BOOKED, "callback")

    async def _closed(self, session: CallSession, context: dict[str, Any]) -> None:
        session.state = "ending"
        await session.speak([CLOSED])
        choice = await session.next_input(timeout_s=10.0)
        wants = (isinstance(choice, Digits) and choice.digits == "1") or (
            isinstance(choice, Text) and (CALLBACK_WORDS.search(choice.text)
                                         or re.search(r"\b(yes|yeah|please)\b", choice.text, re.I))
        )
        if wants:
            await self.services.escalation.keep_callback(
                session.context.caller or "", context, session.call_id, context["reason"],
                context["priority"])
            await self._goodbye(session, CALLBACK_BOOKED, "callback")
        else:
            await self._goodbye(session, CLOSED_GOODBYE, "closed")

    async def _goodbye(self, session: CallSession, line: str, reason: str) -> None:
        await session.speak([line])
        await session.channel.hangup()
        session.finish(reason)


def _context(session: CallSession, handoff: Handoff | None) -> Any:
    """The handoff context (transcript, intent, slots, reason) of `session` now."""
    return build_context(
        call_id=session.call_id, caller=session.context.caller, channel=session.context.channel,
        reason=handoff.reason if handoff else "caller_request",
        priority=handoff.priority if handoff else "normal", last_intent=session.last_intent,
        confidence=session.last_confidence, slots=session.slots, transcript=session.transcript,
    )
