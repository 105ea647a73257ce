"""Run one call: a session plus the channel's reader, in one task group."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio
from aiohttp import web

from bot.call import CallSession
from bot.call_registry import ServerDraining
from bot.call_services import SERVICES
from bot.channels.base import CallContext, Channel, InboundEvent
from bot.log import call_id_var
from bot.server import CALLS

log = logging.getLogger(__name__)

Put = Callable[[InboundEvent], Awaitable[None]]
Pump = Callable[[Put], Awaitable[None]]


def call_starter(app: web.Application) -> Callable[[CallContext, Channel, Callable[[Put], Awaitable[None]]], Awaitable[None]]:
    """A `start_call(context, channel, pump)` bound to this application's services."""

    async def start_call(context: CallContext, channel: Channel, pump: Callable[[Put], Awaitable[None]]) -> None:
        call_id_var.set(context.call_id)
        session = CallSession(context, channel, app[SERVICES])
        try:
            app[CALLS].add(session)
        except ServerDraining:
            log.info("call refused: the server is shutting down")
            await channel.hangup()
            return
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(pump, session.inbound.put)
                await session.run()
                tg.cancel_scope.cancel()
        finally:
            app[CALLS].remove(context.call_id)
            try:
                await channel.hangup()
            except Exception:
                log.debug("hangup after the call ended failed", exc_info=True)

    return start_call
