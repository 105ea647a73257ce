"""What the console needs from the call layer to let an agent talk to a caller.

The bot implements `CallControl`; the console calls it. Audio crosses this boundary as
PCM16 mono little-endian at 16 kHz in frames of any length (the console sends 20 ms).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

AGENT_AUDIO_RATE = 16000


class CallGone(Exception):
    """The caller is no longer on the line; the console turns the entry into a callback task."""


class CallElsewhere(Exception):
    """The call is alive but on another bot machine; the console puts it back in the queue."""


class AgentLeg(Protocol):
    """The agent's side of a bridged call."""

    sample_rate: int  # always AGENT_AUDIO_RATE

    async def send(self, pcm: bytes) -> None:
        """Play the agent's microphone audio to the caller."""

    def receive(self) -> AsyncIterator[bytes]:
        """The caller's audio, as it arrives; ends when the caller hangs up or the leg closes."""

    async def close(self) -> None:
        """Stop bridging (the call itself is ended or handed back through CallControl)."""


class CallControl(Protocol):
    """Implemented by the bot's call sessions; every method is idempotent."""

    async def accept(self, call_id: str, agent_id: str) -> AgentLeg:
        """Stop hold audio and bridge the caller to the agent.

        Raise CallGone when the caller has left, CallElsewhere when another machine has the call.
        """

    async def release(self, call_id: str) -> None:
        """The agent leg dropped without an outcome: the caller hears hold audio again."""

    async def hand_back(self, call_id: str) -> None:
        """The bot takes over the conversation again."""

    async def hang_up(self, call_id: str) -> None:
        """End the call politely."""
