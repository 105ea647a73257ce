"""Assemble the running bot: the aiohttp application with every component it owns."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.call.runner import call_starter
from bot.call.services import SERVICES, CallServices
from bot.channels import audiosocket, browser, twilio, twilio_twiml
from bot.config import Settings
from bot.metrics import CallMetrics
from bot.security.machine_auth import authorize, peer_in
from bot.server import CALLS, READINESS, SETTINGS, create_app
from escalation.web import SERVICES_KEY as ESCALATION_KEY
from escalation.web import setup_escalation

log = logging.getLogger(__name__)

METRICS = web.AppKey("metrics", CallMetrics)
ASTERISK_TRANSFERS = web.AppKey("asterisk_transfers", dict)


def build_application(settings: Settings) -> web.Application:
    """The full application for `voicebot serve`."""
    app = create_app(settings, components=[_services_component, _audiosocket_component])
    app[METRICS] = CallMetrics()
    app[ASTERISK_TRANSFERS] = {}
    start_call = call_starter(app)
    app.router.add_get("/twilio/media", functools.partial(twilio.handle_media_stream, start_call=start_call))
    twilio_twiml.setup_twiml_routes(app)
    app.router.add_get("/browser", browser.browser_page)
    app.router.add_get("/browser/ws", functools.partial(browser.handle_browser_socket, start_call=start_call))
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/asterisk/transfer/{uuid}", asterisk_transfer)
    app.router.add_get("/calls/{call_id}", call_record)
    setup_escalation(app, None)  # routes now; the services are opened at start-up
    return app


async def metrics(request: web.Request) -> web.Response:
    """Prometheus metrics, for loopback and `server.metrics_allow` peers only."""
    if not peer_in(request, request.app[SETTINGS].server.metrics_allow):
        log.warning("metrics refused to %s: not in server.metrics_allow", request.remote)
        raise web.HTTPForbidden(text="metrics are not served to this address")
    return await request.app[METRICS].handle(request)


async def asterisk_transfer(request: web.Request) -> web.Response:
    """The dialplan asks, after AudioSocket() returns, where to Dial (empty: hang up).

    Only from the PBX (loopback or `calls.audiosocket_allow`), with its own API token
    (scope transfers:read, in `?token=` since the dialplan's CURL() sends no headers)."""
    if not peer_in(request, request.app[SETTINGS].calls.audiosocket_allow):
        log.warning("asterisk transfer look-up refused from %s: not in calls.audiosocket_allow",
                    request.remote)
        raise web.HTTPForbidden(text="not an allowed PBX address")
    refused = await authorize(request, "transfers:read", roles=(), allow_query=True)
    if refused is not None:
        return refused
    return web.Response(text=request.app[ASTERISK_TRANSFERS].pop(request.match_info["uuid"], ""))


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
        yield


def services_readiness(services: CallServices) -> dict:
    async def engine() -> tuple[bool, str]:
        ready = getattr(services.engine, "ready", True)
        return bool(ready), getattr(services.engine, "describe", lambda: "loaded")()

    async def recognizer() -> tuple[bool, str]:
        return True, services.recognizers.backend_name

    return {"dialogue": engine, "recognizer": recognizer}


async def _audiosocket_component(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    port = settings.calls.audiosocket_port
    if not port:
        yield
        return
    start_call = call_starter(app)
    server = await asyncio.start_server(
        functools.partial(audiosocket.handle_connection, start_call=start_call,
                          allow=settings.calls.audiosocket_allow,
                          transfers=app[ASTERISK_TRANSFERS]),
        settings.server.host, port,
    )
    log.info("audiosocket listening on %s:%d", settings.server.host, port)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()
