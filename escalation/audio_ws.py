"""The agent's audio socket: binary PCM16 16 kHz frames both ways between browser and caller.

Opening it answers the offered call (offered -> connected). If the socket drops while the
call is still connected (the agent closed the tab, lost the network), the call goes back to
the head of its priority; hang-up, hand-back and wrap-up end it properly instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSMsgType, web

from escalation.auth import json_error, services_of
from escalation.bridge import AGENT_AUDIO_RATE, AgentLeg, CallElsewhere, CallGone
from escalation.services import CONNECTED_LEASE_S, EscalationError, EscalationServices

log = logging.getLogger(__name__)
MAX_FRAME_BYTES = 64_000  # 2 s of PCM16 at 16 kHz; anything larger is not a frame


_cleanups: set[asyncio.Future[None]] = set()


async def _after_audio(services: EscalationServices, call_id: str, username: str,
                       leg: AgentLeg | None) -> None:
    if leg is not None:
        with contextlib.suppress(Exception):
            await leg.close()
    entry = await services.store.get(call_id)
    if entry and entry.state == "connected" and entry.agent_id == username:
        log.warning("call %s: agent %s dropped the audio; requeued", call_id, username)
        await services.release(call_id, "agent_disconnected")


async def audio_socket(request: web.Request) -> web.StreamResponse:
    services: EscalationServices = services_of(request)
    call_id, agent = request.match_info["call_id"], request["agent"]
    try:
        await services.answered(call_id, agent)
    except EscalationError as exc:
        return json_error(exc.status, str(exc))
    leg = None
    if services.call_control is not None:
        try:
            leg = await services.call_control.accept(call_id, agent.username)
        except CallGone:
            # Never lose the escalation: a caller who is gone (hung up unnoticed, or their call
            # died with a crashed bot) becomes a callback task with the same context.
            await services.release(call_id, "caller_gone")
            await services.request_callback(call_id)
            return json_error(410, "the caller is no longer on the line; a callback task was created")
        except CallElsewhere:
            await services.release(call_id, "call_on_another_machine")
            return json_error(409, "this call is on another bot machine; open the console there")
    ws = web.WebSocketResponse(heartbeat=10, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    await ws.send_json({"type": "audio", "sample_rate": AGENT_AUDIO_RATE, "bridged": leg is not None})

    async def caller_to_agent() -> None:
        if leg is None:
            return
        async for pcm in leg.receive():
            if pcm:  # a resampler may hold back a short frame's samples
                await ws.send_bytes(pcm)

    async def close_when_call_ends() -> None:
        while True:
            event = await sub.get()
            ended = event.get("type") == "removed" and event.get("call_id") == call_id
            entry = event.get("entry") or {}
            if ended or (entry.get("call_id") == call_id and entry.get("state") != "connected"):
                await ws.close(code=1000, message=b"call ended")
                return

    async def keep_lease() -> None:
        while True:
            await asyncio.sleep(CONNECTED_LEASE_S / 3)
            if not await services.renew(call_id, agent):
                return

    sub = services.bus.subscribe()
    pump = asyncio.create_task(caller_to_agent())
    watcher = asyncio.create_task(close_when_call_ends())
    lease = asyncio.create_task(keep_lease())
    try:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY and leg is not None and len(msg.data) % 2 == 0:
                try:
                    await leg.send(msg.data)
                except CallGone:  # the caller hung up: the call is over for the agent too
                    await ws.close(code=1000, message=b"call ended")
                    break
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        sub.close()
        pump.cancel()
        watcher.cancel()
        lease.cancel()
        # aiohttp cancels this handler when the peer vanishes; the requeue must still happen.
        cleanup = asyncio.ensure_future(_after_audio(services, call_id, agent.username, leg))
        _cleanups.add(cleanup)
        cleanup.add_done_callback(_cleanups.discard)
        await asyncio.shield(cleanup)
    return ws
