"""One call's audio taps for supervisors: what the caller says, what the caller hears, and
where a whispering or barging supervisor's voice is mixed in.

`TappedChannel` wraps the call's channel: every frame the caller hears (bot speech, hold audio,
the agent) passes through `send_audio`, where the supervisors get a copy and a barging
supervisor's voice is added. The caller's frames come in through `caller_frame`. The agent's
leg asks `agent_hears` to add a whispering or barging supervisor to the caller's audio it
forwards. With no supervisor joined every hook is a pass-through.

Each leg's audio is mixed on the clock of the stream it rides on (the caller's inbound frames
for the supervisor and the agent, the outbound frames for the caller), one frame at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from bot.call.mixing import SampleBuffer, mix, samples_in
from bot.channels.base import AudioIn, Channel, InboundEvent, Put
from escalation.bridge import AGENT_AUDIO_RATE
from escalation.monitor import MODES, TALKING_MODES
from stt.audio import Resampler, mulaw_to_pcm16, pcm16_to_mulaw

BUFFER_S = 0.5  # the most a leg may lag its stream before old audio is dropped
HEARD_QUEUE_FRAMES = 250  # 5 s of frames for a supervisor page that stops reading


class SupervisorTap:
    """One supervisor on one call (escalation.monitor.SupervisorLeg)."""

    sample_rate = AGENT_AUDIO_RATE

    def __init__(self, tap: CallTap, username: str, mode: str) -> None:
        self.tap, self.username, self.mode = tap, username, mode
        self.closed = False
        self.heard: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=HEARD_QUEUE_FRAMES)
        self.others = SampleBuffer(int(AGENT_AUDIO_RATE * BUFFER_S))  # the caller's side, 16 kHz
        self.to_agent = SampleBuffer(int(AGENT_AUDIO_RATE * BUFFER_S))
        self.to_caller = SampleBuffer(int(tap.out_rate * BUFFER_S))
        self._down = Resampler(AGENT_AUDIO_RATE, tap.out_rate)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.tap.check_mode(mode)
        self.mode = mode

    async def send(self, pcm: bytes) -> None:
        if self.closed or self.mode not in TALKING_MODES:
            return
        self.to_agent.push(pcm)
        if self.mode == "barge":
            self.to_caller.push(self._down.process(pcm))

    async def receive(self) -> AsyncIterator[bytes]:
        while True:
            pcm = await self.heard.get()
            if pcm is None:
                return
            yield pcm

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.tap.legs.discard(self)
            with contextlib.suppress(asyncio.QueueFull):
                self.heard.put_nowait(None)

    def hear(self, caller_pcm: bytes) -> None:
        """A frame of the caller (16 kHz): add the other side and queue it for the supervisor."""
        pcm = mix(caller_pcm, [self.others.take(samples_in(caller_pcm))])
        if self.heard.full():
            self.heard.get_nowait()
        self.heard.put_nowait(pcm)


class CallTap:
    """The taps of one call; `channel` is what the call session is given instead of the real one."""

    def __init__(self, call_id: str, channel: Channel) -> None:
        self.call_id = call_id
        self.started = time.time()
        self.out_rate = 16000 if channel.output_format == "pcm16k" else 8000
        self.legs: set[SupervisorTap] = set()
        self.has_agent = lambda: False  # set by the monitor: is an agent bridged now?
        self.channel = TappedChannel(channel, self)
        self._caller_up = Resampler(channel.input_rate, AGENT_AUDIO_RATE)
        self._out_up = Resampler(self.out_rate, AGENT_AUDIO_RATE)

    def check_mode(self, mode: str) -> None:
        from escalation.monitor import NoAgentOnCall

        if mode in TALKING_MODES and not self.has_agent():
            raise NoAgentOnCall(f"{mode} needs an agent on the call")

    def join(self, username: str, mode: str) -> SupervisorTap:
        leg = SupervisorTap(self, username, "listen")
        leg.set_mode(mode)
        self.legs.add(leg)
        return leg

    def caller_frame(self, pcm: bytes) -> None:
        """A frame of the caller's audio at the channel's input rate."""
        if not self.legs:
            return
        up = self._caller_up.process(pcm)
        if up:
            for leg in list(self.legs):
                leg.hear(up)

    def agent_hears(self, pcm16k: bytes) -> bytes:
        """The caller's audio on its way to the agent, with any whispering or barging supervisor."""
        talking = [leg.to_agent.take(samples_in(pcm16k)) for leg in list(self.legs)
                   if leg.mode in TALKING_MODES]
        return mix(pcm16k, talking)

    def caller_hears(self, chunk: bytes, fmt: str) -> bytes:
        """A frame on its way to the caller: copied to the supervisors, a barging one added."""
        if not self.legs:
            return chunk
        pcm = mulaw_to_pcm16(chunk) if fmt == "mulaw8k" else chunk
        up = self._out_up.process(pcm)
        for leg in list(self.legs):
            leg.others.push(up)
        barging = [leg.to_caller.take(samples_in(pcm)) for leg in list(self.legs) if leg.mode == "barge"]
        if not barging:
            return chunk
        mixed = mix(pcm, barging)
        return pcm16_to_mulaw(mixed) if fmt == "mulaw8k" else mixed

    async def close(self) -> None:
        for leg in list(self.legs):
            await leg.close()


class TappedChannel:
    """The call's channel with its outbound audio tapped; everything else is the real channel's."""

    def __init__(self, inner: Channel, tap: CallTap) -> None:
        self.inner = inner
        self.tap = tap
        self.name = inner.name
        self.output_format = inner.output_format
        self.input_rate = inner.input_rate

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def send_audio(self, chunk: bytes) -> None:
        await self.inner.send_audio(self.tap.caller_hears(chunk, self.output_format))

    async def clear(self) -> None:
        await self.inner.clear()

    async def transfer(self, target: str) -> bool:
        return await self.inner.transfer(target)

    async def hangup(self) -> None:
        await self.inner.hangup()


def agent_hears(channel: object, pcm16k: bytes) -> bytes:
    """For the agent's leg: the caller's audio plus any supervisor talking to the agent."""
    return channel.tap.agent_hears(pcm16k) if isinstance(channel, TappedChannel) else pcm16k


def tapped_inbound(put: Put, tap: CallTap) -> Put:
    """The call's inbound `put`, with the caller's audio copied to the tap as it arrives."""

    async def tapped(event: InboundEvent) -> None:
        if isinstance(event, AudioIn):
            tap.caller_frame(event.frame.pcm)
        await put(event)

    return tapped
