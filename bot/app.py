"""Assemble the running bot: the aiohttp application with every component it owns.

Each channel adds its own routes and transfer table (`add_routes` in bot/channels/); this
module adds what the server itself answers (metrics, call records), the shared call
services, and the escalation console."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.call.call_stats import CallStats
from bot.call.monitor import BotCallMonitor
from bot.call.runner import call_starter
from bot.call.services import SERVICES, CallServices
from bot.channels import audiosocket, browser, twilio
from bot.cluster import peer_routes
from bot.cluster.remote_leg import ClusterCallControl
from bot.config import Settings
from bot.metrics import CallMetrics
from bot.recording import web as recording_web
from bot.review.desk import ReviewDesk
from bot.security.machine_auth import authorize, peer_in
from bot.server import CALLS, READINESS, SETTINGS, create_app
from escalation.analytics import Analytics
from escalation.analytics_web import ANALYTICS_KEY
from escalation.monitor import MONITOR_KEY
from escalation.review_web import REVIEW_KEY
from escalation.web import SERVICES_KEY as ESCALATION_KEY
from escalation.web import setup_escalation

log = logging.getLogger(__name__)

METRICS = web.AppKey("metrics", CallMetrics)


def build_application(settings: Settings) -> web.Application:
    """The full application for `voicebot serve`."""
    app = create_app(settings, components=[_services_component])
    app[METRICS] = CallMetrics()
    app[MONITOR_KEY] = BotCallMonitor(app[CALLS])  # supervisors' live calls and audio
    start_call = call_starter(app)
    # Each channel adds its routes and transfer table; the AudioSocket listener starts after
    # the services (create_app's component) and stops before them.
    for channel in (twilio, browser, audiosocket):
        channel.add_routes(app, start_call)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/calls/{call_id}", call_record)
    setup_escalation(app, None)  # routes now; the services are opened at start-up
    recording_web.add_routes(app)  # the supervisors' recording player
    peer_routes.add_routes(app)  # other bot machines' agents talking to callers held here
    return app


async def metrics(request: web.Request) -> web.Response:
    """Prometheus metrics, for loopback and `server.metrics_allow` peers only."""
    if not peer_in(request, request.app[SETTINGS].server.metrics_allow):
        log.warning("metrics refused to %s: not in server.metrics_allow", request.remote)
        raise web.HTTPForbidden(text="metrics are not served to this address")
    return await request.app[METRICS].handle(request)


async def call_record(request: web.Request) -> web.Response:
    """A call's redacted record (turns, intents, latency, outcome) for the caller tools."""
    refused = await authorize(request, "calls:read")
    if refused is not None:
        return refused
    records = request.app[SERVICES].records
    call_id = request.match_info["call_id"]
    call = await records.get(call_id)
    if call is None:
        return web.json_response({"error": "no such call"}, status=404)
    return web.json_response({"call": call, "turns": await records.transcript(call_id),
                              "events": await records.events(call_id)})


async def _services_component(app: web.Application) -> AsyncIterator[None]:
    from bot.services_factory import open_services

    settings = app[SETTINGS]
    async with open_services(settings, app[METRICS], app[CALLS]) as services:
        app[SERVICES] = services
        app[ESCALATION_KEY] = services.escalation
        app[READINESS].update(services_readiness(services))
        control = services.escalation.call_control if services.escalation else None
        if control is not None:
            app[peer_routes.LOCAL_CALLS] = control.local if isinstance(control, ClusterCallControl) else control
        call_stats = CallStats(services.records.db)
        if services.escalation is not None:
            app[ANALYTICS_KEY] = Analytics(call_stats, services.escalation.store)
            app[REVIEW_KEY] = ReviewDesk(settings, services.records, services.escalation.store,
                                         services.recordings, services.engine)
        try:
            yield
        finally:
            call_stats.close()
            if REVIEW_KEY in app:
                await app[REVIEW_KEY].close()


def services_readiness(services: CallServices) -> dict:
    async def engine() -> tuple[bool, str]:
        ready = getattr(services.engine, "ready", True)
        return bool(ready), getattr(services.engine, "describe", lambda: "loaded")()

    async def recognizer() -> tuple[bool, str]:
        return True, services.recognizers.backend_name

    return {"dialogue": engine, "recognizer": recognizer}

