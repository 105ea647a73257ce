"""The agent console (`/console`) and REST API (`/api/`), mounted on the bot's aiohttp app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from escalation.agents import AgentError
from escalation.analytics_web import add_analytics_routes
from escalation.audio_ws import audio_socket
from escalation.auth import (
    COOKIE,
    SERVICES_KEY,
    current_agent,
    json_error,
    require,
    same_origin,
    services_of,
    set_session_cookie,
)
from escalation.monitor_web import setup_monitor
from escalation.openapi import openapi_document
from escalation.records import RecordBook, RecordError
from escalation.review_web import add_review_routes
from escalation.services import EscalationError, EscalationServices
from escalation.stores import StoreError

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
SOCKETS_KEY = "escalation_sockets"
FAILURES_KEY = "escalation_login_failures"
MAX_FAILURES, FAILURE_WINDOW_S = 5, 300.0  # per client address and username
ASSETS = {"console.js": "application/javascript", "dom.js": "application/javascript",
          "pcm_audio.js": "application/javascript", "console.css": "text/css"}


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text='{"error": "send application/json"}',
                                           content_type="application/json")
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='{"error": "body must be a JSON object"}',
                                 content_type="application/json")
    return body


def _page(status: int) -> web.Response:
    html = (STATIC / "console.html").read_text(encoding="utf-8")
    response = web.Response(text=html, content_type="text/html", status=status)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; frame-ancestors 'none'")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


async def console_page(request: web.Request) -> web.Response:
    """The console; without a session the same page answers 401 and shows the login form."""
    return _page(200 if await current_agent(request) else 401)


async def console_asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound()
    return web.Response(body=(STATIC / name).read_bytes(), content_type=ASSETS[name])


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


async def login(request: web.Request) -> web.Response:
    if not same_origin(request):
        return json_error(403, "cross-origin login refused")
    body = await _json_body(request)
    services: EscalationServices = services_of(request)
    username = str(body.get("username", ""))[:64]
    key = (request.remote, username.lower())
    now = time.monotonic()
    failures = [t for t in request.app[FAILURES_KEY].get(key, []) if now - t < FAILURE_WINDOW_S]
    if len(failures) >= MAX_FAILURES:
        return json_error(429, "too many failed logins; try again in a few minutes")
    agent = await services.agents.authenticate(username, str(body.get("password", "")))
    if agent is None:
        table = request.app[FAILURES_KEY]
        if len(table) > 10_000:  # bounded memory under a spray of usernames
            table.clear()
        table[key] = [*failures, now]
        log.warning("console login failed for %r from %s", username, request.remote)
        await services.audit.record(username, "login_failed", request.remote)
        return json_error(401, "wrong username or password")
    request.app[FAILURES_KEY].pop(key, None)
    if request.cookies.get(COOKIE):  # a new session id at every login; the old one ends
        await services.agents.end_session(request.cookies[COOKIE])
    token, session = await services.agents.start_session(agent.username)
    await services.audit.record(agent.username, "login", request.remote)
    if agent.presence == "offline":
        agent = await services.set_presence(agent, "available")
    response = web.json_response({"agent": agent.public(), "csrf": session["csrf"]})
    set_session_cookie(response, token, int(services.agents.session_ttl_s), services.cookie_secure)
    return response


@require()
async def logout(request: web.Request) -> web.Response:
    services: EscalationServices = services_of(request)
    await services.agents.end_session(request.cookies[COOKIE])
    await services.set_presence(request["agent"], "offline")
    for ws in list(request.app[SOCKETS_KEY].get(request["session"]["id"], ())):
        await ws.close(code=4401, message=b"logged out")
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


@require()
async def me(request: web.Request) -> web.Response:
    return web.json_response({"agent": request["agent"].public(), "csrf": request["session"]["csrf"]})


@require()
async def set_presence(request: web.Request) -> web.Response:
    body = await _json_body(request)
    try:
        agent = await services_of(request).set_presence(request["agent"], str(body.get("presence")))
    except AgentError as exc:
        return json_error(400, str(exc))
    return web.json_response({"agent": agent.public()})


@require("supervisor")
async def list_agents(request: web.Request) -> web.Response:
    agents = await services_of(request).agents.list()
    return web.json_response({"agents": [a.public() for a in agents]})


@require()
async def get_queue(request: web.Request) -> web.Response:
    snapshot = await services_of(request).snapshot()
    return web.json_response({"waiting": snapshot["waiting"], "active": snapshot["active"]})


@require()
async def get_entry(request: web.Request) -> web.Response:
    entry = await services_of(request).store.get(request.match_info["call_id"])
    if entry is None:
        return json_error(404, "no such call in the queue")
    return web.json_response(entry.public())


def _queue_action(name: str):
    @require("agent", "supervisor")
    async def action(request: web.Request) -> web.Response:
        services: EscalationServices = services_of(request)
        call_id, agent = request.match_info["call_id"], request["agent"]
        try:
            await services.audit.record(agent.username, name, request.remote, {"call_id": call_id})
            if name == "wrap-up":
                body = await _json_body(request)
                result = await services.wrap_up(call_id, agent, str(body.get("notes", "")),
                                                str(body.get("disposition", "resolved")))
                return web.json_response(result)
            method = {"accept": services.accept, "hang-up": services.hang_up,
                      "hand-back": services.hand_back}[name]
            entry = await method(call_id, agent)
        except EscalationError as exc:
            return json_error(exc.status, str(exc))
        return web.json_response(entry.public())

    action.__name__ = f"queue_{name.replace('-', '_')}"
    return action


@require()
async def get_transfer(request: web.Request) -> web.Response:
    record = await services_of(request).store.get_record("transfer", request.match_info["call_id"])
    if record is None:
        return json_error(404, "no transfer with that call id")
    return web.json_response(record)


@require("supervisor")
async def audit_trail(request: web.Request) -> web.Response:
    """The audit trail, newest first (`?limit=`, default 500)."""
    try:
        limit = max(1, min(10_000, int(request.query.get("limit", "500"))))
    except ValueError:
        return json_error(400, "limit must be a number")
    return web.json_response({"entries": await services_of(request).audit.entries(limit)})


@require("supervisor")
async def requeue(request: web.Request) -> web.Response:
    entry = await services_of(request).release(request.match_info["call_id"], "supervisor")
    await services_of(request).audit.record(request["agent"].username, "requeue", request.remote,
                                            {"call_id": request.match_info["call_id"]})
    if entry is None:
        return json_error(409, "call is not held by an agent")
    return web.json_response(entry.public())


def _book(request: web.Request, kind: str) -> RecordBook:
    services: EscalationServices = services_of(request)
    return services.tickets if kind == "tickets" else services.callbacks


async def _filtered(request: web.Request, kind: str) -> list[dict[str, Any]]:
    q = request.query
    extra = {"category": q.get("category")} if kind == "tickets" else {}
    return await _book(request, kind).list(status=q.get("status"), query=q.get("q"), **extra)


def _record_routes(kind: str):
    @require()
    async def list_records(request: web.Request) -> web.Response:
        return web.json_response({kind: await _filtered(request, kind)})

    @require()
    async def export_csv(request: web.Request) -> web.Response:
        rows = await _filtered(request, kind)
        text = _book(request, kind).to_csv(rows)
        await services_of(request).audit.record(request["agent"].username, "export", request.remote,
                                                {"what": kind, "rows": len(rows), "query": dict(request.query)})
        response = web.Response(text=text, content_type="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
        return response

    @require()
    async def update(request: web.Request) -> web.Response:
        body = await _json_body(request)
        try:
            record = await _book(request, kind).set_status(
                request.match_info["record_id"], str(body.get("status")), body.get("notes"),
                request["agent"].username)
        except RecordError as exc:
            return json_error(404 if "no " in str(exc)[:3] else 400, str(exc))
        await services_of(request).bus.publish({"type": kind[:-1], "record": record})
        await services_of(request).audit.record(request["agent"].username, "status_change", request.remote,
                                                {kind[:-1]: record.get("id"), "status": record.get("status")})
        return web.json_response(record)

    return list_records, export_csv, update


@require()
async def events_socket(request: web.Request) -> web.StreamResponse:
    """Live queue: a snapshot, then every change as one JSON message."""
    services: EscalationServices = services_of(request)
    ws = web.WebSocketResponse(heartbeat=20)
    await ws.prepare(request)
    sockets = request.app[SOCKETS_KEY].setdefault(request["session"]["id"], set())
    sockets.add(ws)
    sub = services.bus.subscribe()
    agent = request["agent"]

    def visible(event: dict[str, Any]) -> dict[str, Any] | None:
        """Agents see their own presence; only supervisors see everyone's (as in GET /api/agents)."""
        if agent.role == "supervisor":
            return event
        if event["type"] == "snapshot":
            return {**event, "agents": [a for a in event["agents"] if a["username"] == agent.username]}
        if event["type"] == "agent" and event["agent"]["username"] != agent.username:
            return None
        return event

    async def forward() -> None:
        await ws.send_json(visible(await services.snapshot()))
        while not ws.closed:
            event = await sub.get()
            event = visible(await services.snapshot() if event["type"] == "resync" else event)
            if event is not None:
                await ws.send_json(event)

    async def expire() -> None:
        session = request["session"]
        while time.time() < session["expires_at"]:
            await asyncio.sleep(min(60.0, max(0.0, session["expires_at"] - time.time())))
            if await services.agents.session(request.cookies.get(COOKIE)) is None:
                break  # logged out elsewhere
            await services.agents.touch(session)  # an open console is a console in use
        await ws.close(code=4401, message=b"session expired")

    sender = asyncio.create_task(forward())
    expiry = asyncio.create_task(expire())
    try:
        async for msg in ws:  # the console sends nothing it needs; this notices the close
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        sub.close()
        sockets.discard(ws)
        expiry.cancel()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionResetError, RuntimeError):
            await sender
    return ws


@web.middleware
async def _store_unavailable(request: web.Request, handler: Any) -> web.StreamResponse:
    """The queue store is unreachable: a clear 503 for the console, not a 500 and a traceback."""
    try:
        return await handler(request)
    except StoreError as exc:
        log.warning("%s %s: %s", request.method, request.path, exc)
        return web.json_response({"error": "the escalation store is unreachable; try again shortly"},
                                 status=503, headers={"Retry-After": "5"})


def setup_escalation(app: web.Application, services: EscalationServices) -> None:
    """Add the console and API routes; the bot opens and closes `services` itself."""
    app[SERVICES_KEY] = services
    app.middlewares.append(_store_unavailable)
    app[SOCKETS_KEY] = {}
    app[FAILURES_KEY] = {}
    tickets, callbacks = _record_routes("tickets"), _record_routes("callbacks")
    app.router.add_routes([
        web.get("/console", console_page),
        web.get("/console/static/{name}", console_asset),
        web.get("/console/ws", events_socket),
        web.get("/console/audio/{call_id}", require()(audio_socket)),
        web.get("/api/openapi.json", openapi),
        web.post("/api/login", login),
        web.post("/api/logout", logout),
        web.get("/api/me", me),
        web.put("/api/me/presence", set_presence),
        web.get("/api/agents", list_agents),
        web.get("/api/audit", audit_trail),
        web.get("/api/queue", get_queue),
        web.get("/api/queue/{call_id}", get_entry),
        *[web.post(f"/api/queue/{{call_id}}/{name}", _queue_action(name))
          for name in ("accept", "hang-up", "hand-back", "wrap-up")],
        web.post("/api/queue/{call_id}/requeue", requeue),
        web.get("/api/transfers/{call_id}", get_transfer),
        web.get("/api/tickets", tickets[0]),
        web.get("/api/tickets.csv", tickets[1]),
        web.patch("/api/tickets/{record_id}", tickets[2]),
        web.get("/api/callbacks", callbacks[0]),
        web.get("/api/callbacks.csv", callbacks[1]),
        web.patch("/api/callbacks/{record_id}", callbacks[2]),
    ])
    add_analytics_routes(app)
    add_review_routes(app)  # designers: what callers said that the bot did not understand
    setup_monitor(app)  # supervisors: live calls, listen / whisper / barge
