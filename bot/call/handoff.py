"""Handing a caller to a person: transfer to a number, or queue for the console and hold.

While the caller waits they hear their position and the estimated wait, repeated, with
hold audio between; "call me back" or keypad 1 turns the wait into a callback task.
Outside business hours the caller is offered a callback instead of a queue. The desk acts on
a call only through the call's own methods (`HeldCall`); the call owns its state.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from bot.call import prompts
from bot.call.hold_audio import hold_music
from bot.call.records import CallRecords
from bot.channels.base import CallContext, Channel
from bot.config import EscalationSettings
from bot.metrics import CallMetrics
from escalation.models import HandoffContext
from escalation.services import EscalationError, EscalationServices
from escalation.stores import StoreError
from nlu.engine import Digits, Handoff, Text, UserInput

log = logging.getLogger(__name__)

CALLBACK_WORDS = re.compile(r"\b(call(ing)? me back|callback|call back|ring me back)\b", re.I)
STORE_RETRY_S = 3.0  # hold music between attempts to reach an unreachable queue store
OFFERED_POLL_S = 2.0
CLOSED_CHOICE_S = 10.0
BOT_ENDED = ("server_shutdown", "max_call_length", "internal_error", "handoff_failed")


class HeldCall(Protocol):
    """What the desk needs from a call (bot.call.session.CallSession)."""

    call_id: str
    context: CallContext
    channel: Channel

    @property
    def holding(self) -> bool:
        """Queued and waiting (not bridged to an agent, not ending)."""

    @property
    def queued(self) -> bool:
        """The desk has put the call in the queue (`hold` was called)."""

    def handoff_context(self) -> HandoffContext: ...

    async def speak(self, texts: list[str]) -> bool: ...

    async def play_audio(self, audio: bytes) -> bool: ...

    async def next_input(self, timeout_s: float) -> UserInput | None: ...

    def hold(self, on_input: Callable[[UserInput], Awaitable[None]],
             on_leave: Callable[[str], Awaitable[None]]) -> None: ...

    def start_background(self, coro: Coroutine[Any, Any, None]) -> None: ...

    async def apologise(self) -> None:
        """The one apology, if the call has not said it yet."""

    def stop_holding(self) -> None: ...

    async def end_politely(self, reason: str, line: str) -> None: ...

    def finish(self, reason: str) -> None: ...


class HandoffDesk:
    """Carries out a dialogue's handoff request for one process's calls."""

    def __init__(self, settings: EscalationSettings, escalation: EscalationServices | None,
                 records: CallRecords, metrics: CallMetrics) -> None:
        self.settings = settings
        self.escalation = escalation
        self.records = records
        self.metrics = metrics

    async def take(self, call: HeldCall, handoff: Handoff) -> None:
        """Get the caller to a person. Never silence: when the handoff breaks, the caller
        hears the apology and is queued, or booked a callback, or told plainly."""
        self.metrics.escalations.labels(handoff.reason, handoff.priority).inc()
        await self.records.event(call.call_id, "handoff", reason=handoff.reason,
                                 priority=handoff.priority)
        log.info("handing off: %s (%s)", handoff.reason, handoff.priority)
        try:
            await self.hand_off(call)
        except Exception as exc:
            log.error("handoff failed: %r", exc)
            self.metrics.stage_failures.labels("handoff").inc()
            if not call.holding:  # it broke on the way to a goodbye: say one and hang up
                await call.end_politely("handoff_failed", prompts.NO_AGENT_TRANSFER)
                return
            await call.apologise()
            try:
                await self.rescue(call)
            except Exception as last:
                log.warning("no way to a person for this call (%r)", last)
                await call.end_politely("handoff_failed", prompts.NO_AGENT_TRANSFER)

    async def hand_off(self, call: HeldCall) -> None:
        """Transfer the call, queue it, or offer a callback (raises on an unexpected failure)."""
        escalation = self.escalation
        context = call.handoff_context()
        target = self.settings.transfer_targets.get(context.priority) or self.settings.transfer_target
        if target:
            if escalation is not None:  # the screen pop of whoever answers the transferred call
                try:
                    await escalation.record_transfer(context, target)
                except StoreError as exc:  # the transfer matters more than its screen pop
                    log.warning("transfer context not stored (escalation store unreachable: %s)", exc)
            await call.speak([prompts.CONNECTING])
            if await call.channel.transfer(target):
                call.finish("transferred")
                return
        if escalation is None:
            await call.end_politely("no_agents", prompts.NO_AGENT_TRANSFER)
            return
        if not escalation.is_open():
            await self._closed(call, escalation, context.to_dict())
            return
        await self._queue(call, escalation, context.to_dict())

    async def rescue(self, call: HeldCall) -> None:
        """The handoff broke unexpectedly: still get the caller to a person, queued if the
        queue takes them, else a callback (spooled if the store is down)."""
        if call.queued:  # already waiting: the hold loop carries on by itself
            return
        if self.escalation is None:
            raise RuntimeError("no escalation services: nobody to hand the caller to")
        await self._queue(call, self.escalation, call.handoff_context().to_dict())

    async def _queue(self, call: HeldCall, escalation: EscalationServices,
                     context: dict[str, Any]) -> None:
        # The node that holds the audio: another bot machine sharing the queue can tell a
        # call that is here from one that died with its process (escalation.services).
        try:
            await escalation.enqueue({**context, "node": escalation.node_id})
        except StoreError as exc:
            await self._store_down(call, escalation, context, exc)
            return
        call.hold(lambda said: self._while_waiting(call, said),
                  lambda end_reason: self._left_queue(call, end_reason))
        call.start_background(self.hold(call))

    async def _store_down(self, call: HeldCall, escalation: EscalationServices,
                          context: dict[str, Any], exc: Exception) -> None:
        """The queue store is unreachable: no queue to wait in, so the escalation becomes a
        callback task (spooled locally until the store is back) and the caller is told so."""
        log.warning("cannot queue the call, escalation store unreachable (%s): booking a "
                    "callback instead", exc)
        call.stop_holding()
        record, spooled = await escalation.keep_callback(
            call.context.caller or "", context, call.call_id, context["reason"],
            context["priority"], notes="queue store unreachable when the caller asked for a person")
        await self.records.event(call.call_id, "callback_requested", id=record["id"], spooled=spooled)
        await call.end_politely("callback", prompts.STORE_DOWN)

    async def _spool_callback(self, call: HeldCall, notes: str = "") -> None:
        """A holding caller's callback while the store is unreachable: a spooled task, and
        their queue entry removed once the store is back."""
        assert self.escalation is not None
        context = call.handoff_context().to_dict()
        await self.escalation.keep_callback(call.context.caller or "", context, call.call_id,
                                            context["reason"], context["priority"], notes=notes)
        await self.escalation.abandon(call.call_id)

    async def _left_queue(self, call: HeldCall, end_reason: str) -> None:
        """The call ended while holding: the caller hung up, or the bot ended it (shutdown,
        time limit, failure) - then the escalation must not be lost: a callback task."""
        assert self.escalation is not None
        if end_reason in BOT_ENDED:
            with contextlib.suppress(EscalationError):
                try:
                    await self.escalation.request_callback(call.call_id, why=end_reason)
                except StoreError:
                    await self._spool_callback(call, notes=f"call lost: {end_reason}")
                return
        await self.escalation.abandon(call.call_id)

    async def hold(self, call: HeldCall) -> None:
        """Announce position and wait, then hold audio, until an agent takes the call.

        Never ends by a failure: while the queue cannot be read the caller hears hold music
        (and stays in the queue), so a broken store or a bug is never silence."""
        assert self.escalation is not None
        escalation = self.escalation
        fmt = call.channel.output_format
        first = True
        failed = False
        while call.holding:
            try:
                info = await escalation.wait_info(call.call_id)
                entry = None if info else await escalation.store.get(call.call_id)
            except Exception as exc:  # the queue is still there once the store is back
                if not failed:
                    how = log.warning if isinstance(exc, StoreError) else log.error
                    how("escalation store unreachable while the caller holds (%s); hold music "
                        "continues", exc)
                failed = True
                await call.play_audio(hold_music(fmt, STORE_RETRY_S))
                continue
            if info is None:
                if entry is None or entry.state != "offered":  # connected, or a callback now
                    return
                # An agent pressed accept but is not on the line yet: keep the music going (a
                # missed offer goes back to the queue, and the announcements resume).
                await call.play_audio(hold_music(fmt, OFFERED_POLL_S))
                continue
            lines = [prompts.CONNECTING, info.announcement(), prompts.OFFER_CALLBACK] if first \
                else [info.announcement()]
            first = False
            await call.speak(lines)
            if not call.holding:
                return
            await call.play_audio(hold_music(fmt, self.settings.hold_announce_interval_s))

    async def _while_waiting(self, call: HeldCall, said: UserInput) -> None:
        if not (call.holding and _wants_callback(said)):
            return
        assert self.escalation is not None
        call.stop_holding()
        try:
            await self.escalation.request_callback(call.call_id, call.context.caller or None)
        except StoreError as exc:
            log.warning("escalation store unreachable (%s): callback kept in the local spool", exc)
            await self._spool_callback(call)
        await self.records.event(call.call_id, "callback_requested")
        await call.end_politely("callback", prompts.CALLBACK_BOOKED)

    async def _closed(self, call: HeldCall, escalation: EscalationServices,
                      context: dict[str, Any]) -> None:
        call.stop_holding()
        await call.speak([prompts.CLOSED])
        choice = await call.next_input(timeout_s=CLOSED_CHOICE_S)
        yes = isinstance(choice, Text) and re.search(r"\b(yes|yeah|please)\b", choice.text, re.I)
        if choice is not None and (_wants_callback(choice) or yes):
            await escalation.keep_callback(call.context.caller or "", context, call.call_id,
                                           context["reason"], context["priority"])
            await call.end_politely("callback", prompts.CALLBACK_BOOKED)
        else:
            await call.end_politely("closed", prompts.GOODBYE)


def _wants_callback(said: UserInput) -> bool:
    """Keypad 1, or words asking to be called back."""
    if isinstance(said, Digits):
        return said.digits == "1"
    return isinstance(said, Text) and bool(CALLBACK_WORDS.search(said.text))
