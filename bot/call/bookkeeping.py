"""What the rest of the service is told when a call begins and ends: the metrics, the call
record, the log line, and (at the end) the dialogue engine's tracker released.

The session calls these at its start and in its teardown; they read nothing of its state.
"""

from __future__ import annotations

import logging

from bot.call.services import CallServices
from bot.channels.base import CallContext
from nlu.complaint_ticket import handed_over

log = logging.getLogger("bot.call.session")  # the call's log lines, wherever written


async def call_began(context: CallContext, services: CallServices) -> None:
    """Count the call, open its record, and say when it starts without a dialogue."""
    services.metrics.calls_started.labels(context.channel).inc()
    services.metrics.active_calls.inc()
    await services.records.call_started(context.call_id, context.channel, context.caller)
    log.info("call started on %s from %s", context.channel, context.caller or "unknown")
    if getattr(services.engine, "ready", True) is False:  # logged at start-up; each call says so too
        log.warning("dialogue unavailable for this call (%s): apology and a human",
                    getattr(services.engine, "why", "no model"))


async def call_ended(context: CallContext, services: CallServices, outcome: str, reason: str) -> None:
    """File a complaint the caller described but did not confirm, release the call's
    tracker, close its record, and count it out (none of it may fail the teardown: a
    tracker that cannot be read or released is logged)."""
    try:
        left = await services.engine.unfinished_complaint(context.call_id)
        if left and outcome == "escalated":
            left = handed_over(left)
        if left:
            await services.save_ticket(context.call_id, context.caller, left)
            log.info("complaint left unconfirmed: ticket %s filed", left["reference"])
    except Exception:
        log.error("could not file the complaint this call left unconfirmed", exc_info=True)
    try:
        await services.engine.end_call(context.call_id)
    except Exception:
        log.warning("dialogue engine failed to release the call's tracker", exc_info=True)
    await services.records.call_ended(context.call_id, outcome, reason)
    services.metrics.calls_ended.labels(context.channel, outcome).inc()
    services.metrics.active_calls.dec()
    log.info("call ended: %s (%s)", outcome, reason)
