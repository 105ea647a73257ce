"""The console's side of a call held by another bot machine: its agent leg is a WebSocket to
that machine (PCM16 16 kHz both ways, as the agent's own socket), and its call controls
(release, hand back, hang up) are signed requests to it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp

from bot.call.agent_bridge import BotCallControl
from bot.cluster import peer_auth
from escalation.bridge import AGENT_AUDIO_RATE, AgentLeg, CallElsewhere, CallGone
from escalation.services import EscalationServices

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 5.0
MAX_FRAME_BYTES = 64_000


class RemoteLeg:
    """An AgentLeg whose caller is on another machine."""

    sample_rate = AGENT_AUDIO_RATE

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, call_id: str) -> None:
        self.ws = ws
        self.call_id = call_id

    async def send(self, pcm: bytes) -> None:
        if self.ws.closed:
            raise CallGone(self.call_id)
        try:
            await self.ws.send_bytes(pcm)
        except (ConnectionError, RuntimeError) as exc:
            raise CallGone(self.call_id) from exc

    async def receive(self) -> AsyncIterator[bytes]:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                yield msg.data
            elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                return

    async def close(self) -> None:
        await self.ws.close()


class ClusterCallControl:
    """`CallControl` over this machine's calls and, through their holders, everyone else's."""

    def __init__(self, local: BotCallControl, escalation: EscalationServices, secret: str) -> None:
        self.local = local
        self.escalation = escalation
        self.secret = secret
        self._http: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(
                total=None, connect=CONNECT_TIMEOUT_S, sock_read=None))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def holder_url(self, call_id: str) -> str:
        """The advertised address of the live machine holding `call_id` ("" if none or here)."""
        entry = await self.escalation.store.get(call_id)
        node = entry.context.get("node") if entry else None
        if not node or node == self.escalation.node_id or not await self.escalation.node_alive(node):
            return ""
        record = await self.escalation.store.get_record("node", node) or {}
        return str(record.get("url") or "").rstrip("/")

    async def accept(self, call_id: str, agent_id: str) -> AgentLeg:
        try:
            return await self.local.accept(call_id, agent_id)
        except CallElsewhere:
            url = await self.holder_url(call_id)
            if not url:
                raise
        headers = peer_auth.sign(self.secret, "audio", call_id, agent_id)
        try:
            ws = await self._client().ws_connect(
                f"{url}/cluster/calls/{call_id}/audio", params={"agent": agent_id}, headers=headers,
                heartbeat=10, max_msg_size=MAX_FRAME_BYTES)
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 410:
                raise CallGone(call_id) from exc
            log.warning("call %s: holder %s refused the agent audio (%s)", call_id, url, exc.status)
            raise CallElsewhere(call_id) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            log.warning("call %s: cannot reach its holder %s (%s)", call_id, url, exc)
            raise CallElsewhere(call_id) from exc
        log.info("agent %s took call %s held by %s", agent_id, call_id, url)
        return RemoteLeg(ws, call_id)

    async def _on_holder(self, call_id: str, action: str) -> bool:
        """Ask the machine holding the call to do `action`; False when the call is here."""
        if self.local.registry.get(call_id) is not None:
            return False
        url = await self.holder_url(call_id)
        if not url:
            return False
        headers = peer_auth.sign(self.secret, action, call_id, "")
        with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError, OSError):
            async with self._client().post(f"{url}/cluster/calls/{call_id}/{action}", headers=headers,
                                           timeout=aiohttp.ClientTimeout(total=10)) as response:
                if response.status >= 400:
                    log.warning("call %s: %s on %s answered %s", call_id, action, url, response.status)
        return True

    async def release(self, call_id: str) -> None:
        if not await self._on_holder(call_id, "release"):
            await self.local.release(call_id)

    async def hand_back(self, call_id: str) -> None:
        if not await self._on_holder(call_id, "hand_back"):
            await self.local.hand_back(call_id)

    async def hang_up(self, call_id: str) -> None:
        if not await self._on_holder(call_id, "hang_up"):
            await self.local.hang_up(call_id)
