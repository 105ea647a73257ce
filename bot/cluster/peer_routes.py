"""The holding machine's side: another bot machine relays an agent's audio to a caller held
here, or asks to release, hand back or hang up that call. Every request is signed with the
shared `cluster.peer_secret`; without a valid signature (or no secret set) they answer 403."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSMsgType, web

from bot.call.agent_bridge import BotCallControl
from bot.cluster import peer_auth
from bot.server import SETTINGS
from escalation.bridge import CallElsewhere, CallGone

log = logging.getLogger(__name__)
LOCAL_CALLS = web.AppKey("local_call_control", BotCallControl)
ACTIONS = ("release", "hand_back", "hang_up")
MAX_FRAME_BYTES = 64_000


def add_routes(app: web.Application) -> None:
    app.router.add_get("/cluster/calls/{call_id}/audio", peer_audio)
    app.router.add_post("/cluster/calls/{call_id}/{action}", peer_action)


def _authorised(request: web.Request, action: str, agent_id: str) -> BotCallControl | None:
    secret = request.app[SETTINGS].cluster.peer_secret
    header = request.headers.get(peer_auth.HEADER, "")
    if not secret or LOCAL_CALLS not in request.app:
        return None
    if not peer_auth.check(secret, header, action, request.match_info["call_id"], agent_id):
        log.warning("cluster %s refused from %s: bad or expired signature", action, request.remote)
        return None
    return request.app[LOCAL_CALLS]


async def peer_action(request: web.Request) -> web.Response:
    action, call_id = request.match_info["action"], request.match_info["call_id"]
    control = _authorised(request, action, "") if action in ACTIONS else None
    if control is None:
        raise web.HTTPForbidden(text="not signed by a bot machine of this cluster")
    await getattr(control, action)(call_id)
    return web.json_response({"call_id": call_id, "done": action})


async def peer_audio(request: web.Request) -> web.StreamResponse:
    call_id, agent_id = request.match_info["call_id"], request.query.get("agent", "")
    control = _authorised(request, "audio", agent_id)
    if control is None:
        raise web.HTTPForbidden(text="not signed by a bot machine of this cluster")
    try:
        leg = await control.accept(call_id, agent_id)
    except (CallGone, CallElsewhere):
        raise web.HTTPGone(text="the caller is not on this machine's line") from None
    ws = web.WebSocketResponse(heartbeat=10, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)

    async def caller_to_agent() -> None:
        async for pcm in leg.receive():
            if pcm:
                await ws.send_bytes(pcm)
        await ws.close(code=1000, message=b"call ended")

    pump = asyncio.create_task(caller_to_agent())
    try:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY and len(msg.data) % 2 == 0:
                try:
                    await leg.send(msg.data)
                except CallGone:
                    break
    finally:
        pump.cancel()
        with contextlib.suppress(Exception):
            await leg.close()
        await ws.close()
    return ws
