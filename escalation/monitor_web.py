"""Supervisor monitoring in the console: the live-calls page and list, and the supervisor's
audio socket to listen to, whisper into or barge into a call.

Every route needs a supervisor's session (agents get 403). Each start of listen, whisper or
barge (and each switch between them) leaves an audit line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path

from aiohttp import WSMsgType, web

from escalation.auth import check_session, json_error, require, services_of
from escalation.bridge import CallGone
from escalation.monitor import MODES, MONITOR_KEY, CallMonitor, NoAgentOnCall, SupervisorLeg

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
LIST_EVERY_S = 1.0
MAX_FRAME_BYTES = 64_000  # 2 s of PCM16 at 16 kHz


def _monitor(request: web.Request) -> CallMonitor | None:
    return request.app.get(MONITOR_KEY)


async def monitor_page(request: web.Request) -> web.StreamResponse:
    """The live-calls page for supervisors (reached from the console after login)."""
    refused = await check_session(request, ("supervisor",))
    if refused is not None:
        return refused
    response = web.Response(text=(STATIC / "monitor.html").read_text(encoding="utf-8"),
                            content_type="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; media-src 'self' blob:; frame-ancestors 'none'")
    response.headers["Cache-Control"] = "no-store"
    return response


@require("supervisor")
async def monitor_script(request: web.Request) -> web.Response:
    return web.Response(body=(STATIC / "monitor.js").read_bytes(), content_type="application/javascript")


@require("supervisor")
async def live_calls(request: web.Request) -> web.Response:
    """Every call in progress on this bot machine."""
    monitor = _monitor(request)
    return web.json_response({"calls": monitor.live_calls() if monitor else []})


@require("supervisor")
async def live_calls_socket(request: web.Request) -> web.StreamResponse:
    """The live-calls list, pushed every second (durations move even when nothing else does)."""
    monitor = _monitor(request)
    ws = web.WebSocketResponse(heartbeat=20)
    await ws.prepare(request)

    async def push() -> None:
        while not ws.closed:
            await ws.send_json({"type": "calls", "calls": monitor.live_calls() if monitor else []})
            await asyncio.sleep(LIST_EVERY_S)

    sender = asyncio.create_task(push())
    try:
        async for msg in ws:
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionResetError, RuntimeError):
            await sender
    return ws


@require("supervisor")
async def supervisor_audio(request: web.Request) -> web.StreamResponse:
    """Join a call: `?mode=listen|whisper|barge`; binary PCM16 16 kHz both ways; a text
    message {"mode": ...} switches mode."""
    monitor, call_id = _monitor(request), request.match_info["call_id"]
    mode = request.query.get("mode", "listen")
    if mode not in MODES:
        return json_error(400, f"mode must be one of {', '.join(MODES)}")
    if monitor is None:
        return json_error(503, "monitoring is not available on this server")
    supervisor = request["agent"].username
    try:
        leg = await monitor.join(call_id, supervisor, mode)
    except CallGone:
        return json_error(404, "no such call in progress on this machine")
    except NoAgentOnCall as exc:
        return json_error(409, str(exc))
    audit = services_of(request).audit
    await audit.record(supervisor, f"monitor_{mode}", request.remote, {"call_id": call_id})
    log.info("supervisor %s: %s on call %s", supervisor, mode, call_id)
    ws = web.WebSocketResponse(heartbeat=10, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    await ws.send_json({"type": "audio", "sample_rate": leg.sample_rate, "mode": leg.mode})

    async def call_to_supervisor() -> None:
        async for pcm in leg.receive():
            if pcm:
                await ws.send_bytes(pcm)
        await ws.close(code=1000, message=b"call ended")

    pump = asyncio.create_task(call_to_supervisor())
    try:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY and len(msg.data) % 2 == 0:
                await leg.send(msg.data)
            elif msg.type == WSMsgType.TEXT:
                await _switch(ws, leg, msg.data, audit, supervisor, request.remote, call_id)
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        pump.cancel()
        await leg.close()
    return ws


async def _switch(ws: web.WebSocketResponse, leg: SupervisorLeg, text: str, audit, supervisor: str,
                  remote: str | None, call_id: str) -> None:
    try:
        mode = json.loads(text).get("mode")
        leg.set_mode(str(mode))
    except (ValueError, AttributeError, NoAgentOnCall) as exc:
        await ws.send_json({"type": "error", "error": str(exc) or "send {\"mode\": ...}"})
        return
    await audit.record(supervisor, f"monitor_{mode}", remote, {"call_id": call_id})
    await ws.send_json({"type": "mode", "mode": leg.mode})


def setup_monitor(app: web.Application) -> None:
    """Add the supervisor monitoring routes (the call monitor is set by the bot: MONITOR_KEY)."""
    app.router.add_routes([
        web.get("/console/monitor", monitor_page),
        web.get("/console/monitor/static/monitor.js", monitor_script),
        web.get("/console/monitor/ws", live_calls_socket),
        web.get("/console/monitor/{call_id}/audio", supervisor_audio),
        web.get("/api/monitor/calls", live_calls),
    ])
