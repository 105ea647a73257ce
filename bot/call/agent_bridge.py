"""The bot's side of an agent taking a call: bridge the caller's audio and the agent's.

The console (escalation/) calls `CallControl`; this finds the call's session in this
process and connects an `AgentLeg`: caller audio goes to the agent as PCM16 16 kHz, the
agent's microphone audio goes to the caller in the channel's own format.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from bot.call import prompts
from bot.call.monitor_tap import agent_hears
from bot.call.registry import CallRegistry
from bot.call.session import CallerLeg, CallSession
from bot.call.state import CallState
from escalation.bridge import AGENT_AUDIO_RATE, CallElsewhere, CallGone
from escalation.services import EscalationServices
from stt.audio import FrameBuffer, Resampler, pcm16_to_mulaw

log = logging.getLogger(__name__)

CALLER_QUEUE_FRAMES = 250  # 5 s: an agent page that stops reading loses old audio, not memory


class SessionAgentLeg:
    """One agent connected to one caller."""

    sample_rate = AGENT_AUDIO_RATE

    def __init__(self, session: CallSession, agent_id: str) -> None:
        self.session = session
        self.agent_id = agent_id
        self.closed = False
        self._to_agent: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=CALLER_QUEUE_FRAMES)
        self._up = Resampler(session.channel.input_rate, AGENT_AUDIO_RATE)
        out_rate = 16000 if session.channel.output_format == "pcm16k" else 8000
        self._down = Resampler(AGENT_AUDIO_RATE, out_rate)
        self._frames = FrameBuffer(out_rate, 20)

    def caller_audio(self, pcm: bytes) -> None:
        """From the session: a frame of the caller's audio at the channel's input rate."""
        if self.closed:
            return
        pcm = self._up.process(pcm)
        if not pcm:  # the resampler holds back samples until it has enough
            return
        pcm = agent_hears(self.session.channel, pcm)  # a supervisor whispering or barging
        if self._to_agent.full():
            self._to_agent.get_nowait()
        self._to_agent.put_nowait(pcm)

    async def send(self, pcm: bytes) -> None:
        """The agent's microphone, PCM16 16 kHz, to the caller."""
        if self.closed:
            raise CallGone(self.session.call_id)
        channel = self.session.channel
        for frame in self._frames.push(self._down.process(pcm)):
            data = pcm16_to_mulaw(frame.pcm) if channel.output_format == "mulaw8k" else frame.pcm
            try:
                await channel.send_audio(data)
            except Exception as exc:
                raise CallGone(self.session.call_id) from exc

    async def receive(self) -> AsyncIterator[bytes]:
        while True:
            pcm = await self._to_agent.get()
            if pcm is None:
                return
            yield pcm

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(asyncio.QueueFull):
                self._to_agent.put_nowait(None)


class BotCallControl:
    """`escalation.bridge.CallControl` over this process's calls.

    A call that is not here is either gone (`CallGone`: the caller hung up, or the bot process
    that held it died) or on another live bot machine sharing the queue (`CallElsewhere`): the
    queue entry's context says which node took the call, the store says whether it is alive.
    """

    def __init__(self, registry: CallRegistry, escalation: EscalationServices | None = None) -> None:
        self.registry = registry
        self.escalation = escalation

    async def _where(self, call_id: str) -> None:
        """Raise CallElsewhere when another live node holds the call, else CallGone."""
        esc = self.escalation
        entry = await esc.store.get(call_id) if esc else None
        node = entry.context.get("node") if entry else None
        if esc and node and node != esc.node_id and await esc.node_alive(node):
            raise CallElsewhere(call_id)
        raise CallGone(call_id)

    def _session(self, call_id: str) -> CallSession:
        session = self.registry.get(call_id)
        if not isinstance(session, CallSession) or session.state in (CallState.ENDING, CallState.ENDED):
            raise CallGone(call_id)
        return session

    async def accept(self, call_id: str, agent_id: str) -> CallerLeg:
        try:
            session = self._session(call_id)
        except CallGone:
            await self._where(call_id)
            raise
        if session.agent_leg is not None and not session.agent_leg.closed:
            return session.agent_leg
        leg = SessionAgentLeg(session, agent_id)
        session.bridge(leg)
        log.info("agent %s took call %s", agent_id, call_id)
        return leg

    async def release(self, call_id: str) -> None:
        with contextlib.suppress(CallGone):
            self._session(call_id).agent_dropped()

    async def hand_back(self, call_id: str) -> None:
        with contextlib.suppress(CallGone):
            await self._session(call_id).hand_back()

    async def hang_up(self, call_id: str) -> None:
        try:
            session = self._session(call_id)
        except CallGone:
            return
        await session.end_politely("agent_hangup", prompts.GOODBYE)
