"""Run one call: a session plus the channel's reader, in one task group."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import anyio
from aiohttp import web

from bot.call import prompts
from bot.call.monitor_tap import tapped_inbound
from bot.call.registry import ServerDraining
from bot.call.services import SERVICES, CallServices
from bot.call.session import CallSession
from bot.channels.base import CallContext, Channel, HangupIn, InboundEvent, Pump, StartCall
from bot.log import call_id_var
from bot.server import CALLS
from escalation.monitor import MONITOR_KEY

log = logging.getLogger(__name__)

def call_starter(app: web.Application) -> StartCall:
    """A `start_call(context, channel, pump)` bound to this application's services."""

    refusals = _RefusalLog()

    async def start_call(context: CallContext, channel: Channel, pump: Pump) -> None:
        call_id_var.set(context.call_id)
        services = app[SERVICES]
        calls = app[CALLS]
        refusal = services.refusal(len(calls))
        if refusal is not None:
            refusals.note(refusal[1])
            await _refuse(services, context, channel, pump, prompts.LINES_BUSY, refusal[0])
            return
        recording = services.recordings.start(context, channel)  # sees what the channel carries
        monitor = app.get(MONITOR_KEY)  # supervisors' taps on the call's audio, as recorded
        tap = monitor.open_tap(context.call_id, recording.channel) if monitor is not None else None
        session = CallSession(context, tap.channel if tap else recording.channel, services)
        try:
            calls.add(session)
        except ServerDraining:
            await services.recordings.finish(context.call_id, "refused")
            log.info("call refused: the server is shutting down")
            if monitor is not None:
                await monitor.close_tap(context.call_id)
            await _refuse(services, context, channel, pump, prompts.SHUTDOWN_GOODBYE, "shutdown")
            return
        try:
            async with anyio.create_task_group() as tg:
                inbound = recording.tap(session.inbound.put)
                tg.start_soon(pump, tapped_inbound(inbound, tap) if tap else inbound)
                await session.run()
                tg.cancel_scope.cancel()
        finally:
            app[CALLS].remove(context.call_id)
            if monitor is not None:
                await monitor.close_tap(context.call_id)
            with anyio.CancelScope(shield=True):  # the tail is written even on shutdown
                await services.recordings.finish(context.call_id, session.outcome())
            try:
                await channel.hangup()
            except Exception:
                log.debug("hangup after the call ended failed", exc_info=True)

    return start_call


class _RefusalLog:
    """One INFO line per refused call, and at most one WARNING a minute for the operator
    (a flood of callers must not become a flood of warnings)."""

    def __init__(self, every_s: float = 60.0) -> None:
        self.every_s = every_s
        self.unreported = 0
        self.warned_at = -every_s

    def note(self, why: str) -> None:
        self.unreported += 1
        log.info("call refused: %s", why)
        now = time.monotonic()
        if now - self.warned_at >= self.every_s:
            token = call_id_var.set("-")  # about the server, not about this one call
            try:
                log.warning("turning callers away: %s; %d refused since the last warning",
                            why, self.unreported)
            finally:
                call_id_var.reset(token)
            self.warned_at, self.unreported = now, 0


async def _refuse(services: CallServices, context: CallContext, channel: Channel, pump: Pump, text: str,
                  reason: str) -> None:
    """Tell the caller why (pre-rendered, no recognizer or dialogue needed), then hang up."""
    services.metrics.calls_refused.labels(context.channel, reason).inc()
    hung_up = anyio.Event()

    async def put(event: InboundEvent) -> None:
        if isinstance(event, HangupIn):
            hung_up.set()

    async def say() -> None:
        audio = services.prompt_audio.get((text, channel.output_format))
        if audio is not None:
            player = services.new_player(channel, lambda: None)

            async def chunks() -> AsyncIterator[bytes]:
                yield audio

            await player.play(chunks())
        hung_up.set()

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(pump, put)
            tg.start_soon(say)
            await hung_up.wait()
            tg.cancel_scope.cancel()
    except Exception as exc:  # the caller left mid-sentence: nothing more to do
        log.debug("refused call ended early: %r", exc)
    finally:
        try:
            await channel.hangup()
        except Exception:
            log.debug("hangup of a refused call failed", exc_info=True)
