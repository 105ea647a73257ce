"""A scripted call layer for the console test: the "caller" plays a tone, records the agent.

The real CallControl is the bot's (issue 4); this one stands in only for the browser test,
so the console's audio path (getUserMedia -> PCM16 socket -> leg, and back) is exercised.
"""

from __future__ import annotations

import asyncio
import math
import struct
from collections.abc import AsyncIterator

from escalation.bridge import AGENT_AUDIO_RATE, CallGone


def tone_frame(freq: float = 440.0, ms: int = 20, rate: int = AGENT_AUDIO_RATE) -> bytes:
    n = rate * ms // 1000
    return struct.pack(f"<{n}h", *(int(8000 * math.sin(2 * math.pi * freq * i / rate)) for i in range(n)))


class FakeLeg:
    sample_rate = AGENT_AUDIO_RATE

    def __init__(self) -> None:
        self.from_agent = bytearray()
        self.closed = asyncio.Event()

    async def send(self, pcm: bytes) -> None:
        self.from_agent += pcm

    async def receive(self) -> AsyncIterator[bytes]:
        frame = tone_frame()
        while not self.closed.is_set():
            yield frame
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        self.closed.set()


class FakeCallControl:
    def __init__(self) -> None:
        self.legs: dict[str, FakeLeg] = {}
        self.actions: list[tuple[str, str]] = []
        self.gone: set[str] = set()  # calls whose caller has vanished

    async def accept(self, call_id: str, agent_id: str) -> FakeLeg:
        self.actions.append(("accept", call_id))
        if call_id in self.gone:
            raise CallGone(call_id)
        self.legs[call_id] = FakeLeg()
        return self.legs[call_id]

    async def release(self, call_id: str) -> None:
        self.actions.append(("release", call_id))

    async def hand_back(self, call_id: str) -> None:
        self.actions.append(("hand_back", call_id))

    async def hang_up(self, call_id: str) -> None:
        self.actions.append(("hang_up", call_id))
