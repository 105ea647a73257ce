"""The aiohttp application: health, readiness, and the lifecycle of everything it owns."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from bot.call.registry import CallRegistry
from bot.call.services import SERVICES
from bot.config import Settings
from bot.loop_latency import freeze_startup_heap, tune_for_realtime_audio
from bot.security.header_guard import GuardedAppRunner, HeaderLimits
from bot.security.headers import add_security_headers
from bot.security.keys import load_server_keys
from bot.security.limits import Limits
from bot.security.stream_tokens import StreamTokens

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[tuple[bool, str]]]

SETTINGS = web.AppKey("settings", Settings)
CALLS = web.AppKey("calls", CallRegistry)
READINESS = web.AppKey("readiness", dict)
STARTED_AT = web.AppKey("started_at", float)
STREAM_TOKENS = web.AppKey("stream_tokens", StreamTokens)

# Components that own resources register an aiohttp cleanup context here (a name plus an
# async generator taking the app); `create_app` installs them in order.
Component = Callable[[web.Application], AsyncIterator[None]]


async def healthz(request: web.Request) -> web.Response:
    """The process is up and serving HTTP."""
    uptime = time.monotonic() - request.app[STARTED_AT]
    return web.json_response({"status": "ok", "uptime_s": round(uptime, 1)})


async def readyz(request: web.Request) -> web.Response:
    """Models are loaded and stores reachable: 200 with each check, else 503."""
    checks: dict[str, dict[str, object]] = {}
    leaving = request.app[CALLS].draining or request.app[CALLS].leaving_rotation
    ready = not leaving
    for name, check in request.app[READINESS].items():
        try:
            ok, detail = await asyncio.wait_for(check(), timeout=2.0)
        except Exception as exc:  # a failing check is a "not ready", never a 500
            ok, detail = False, f"check failed: {exc.__class__.__name__}: {exc}"
        checks[name] = {"ok": ok, "detail": detail}
        ready = ready and ok
    body = {"status": "ready" if ready else "not_ready", "draining": leaving,
            "active_calls": len(request.app[CALLS]), "checks": checks}
    return web.json_response(body, status=200 if ready else 503)


def create_app(settings: Settings, components: list[Component] | None = None) -> web.Application:
    """Build the application; `components` set up and tear down what the server owns."""
    limits = Limits(settings.server.rate_limit_per_min, settings.server.login_rate_per_min,
                    settings.server.websockets_per_address)
    app = web.Application(client_max_size=settings.server.max_body_kb * 1024, middlewares=[limits.middleware],
                          handler_args=HeaderLimits.of(settings.server).handler_args())
    app[SETTINGS] = settings
    app[CALLS] = CallRegistry()
    app[READINESS] = {}
    app[STARTED_AT] = time.monotonic()
    app[STREAM_TOKENS] = StreamTokens(load_server_keys(settings).stream_key)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    for component in components or []:
        app.cleanup_ctx.append(component)
    app.on_shutdown.append(_drain_calls)
    app.on_response_prepare.append(add_security_headers)
    return app


async def _drain_calls(app: web.Application) -> None:
    await app[CALLS].drain(app[SETTINGS].server.shutdown_timeout_s)


def app_runner(app: web.Application, **kwargs: object) -> web.AppRunner:
    """The runner every listening socket of the bot goes through (slow and oversized headers
    are refused before aiohttp parses them)."""
    return GuardedAppRunner(app, HeaderLimits.of(app[SETTINGS].server), **kwargs)


async def serve(app: web.Application, host: str, port: int,
                on_ready: Callable[[str], None] | None = None) -> None:
    """Run until SIGTERM or SIGINT, then shut down gracefully."""
    settings = app[SETTINGS]
    tune_for_realtime_audio()
    runner = app_runner(app, handle_signals=False, access_log=None,
                        shutdown_timeout=settings.server.shutdown_timeout_s)
    await runner.setup()
    freeze_startup_heap()
    if SERVICES in app:
        app[SERVICES].headroom.forget_startup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    base_url = f"http://{host}:{port}"
    log.info("listening on %s", base_url)
    if on_ready:
        on_ready(base_url)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
        notice_s = settings.cluster.drain_notice_s
        if notice_s > 0:  # a balancer checking /readyz takes this machine out of rotation first
            log.info("leaving rotation: /readyz says not ready; still taking calls for %.0f s", notice_s)
            app[CALLS].leave_rotation()
            await asyncio.sleep(notice_s)
    finally:
        log.info("shutting down: no new calls; active calls get %.0f s",
                 settings.server.shutdown_timeout_s)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
        log.info("stopped")
