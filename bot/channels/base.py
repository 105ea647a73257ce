"""The contract between a channel adapter and a call session.

A channel decodes its wire protocol into inbound events (audio, keypad, hangup) and
offers `send_audio`, `clear`, `transfer` and `hangup` for the way back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from stt.audio import AudioFrame

OutputFormat = Literal["mulaw8k", "pcm8k", "pcm16k"]


@dataclass(frozen=True)
class CallContext:
    """What the channel knows about a call when it starts."""

    call_id: str
    channel: str
    caller: str = ""
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AudioIn:
    frame: AudioFrame


@dataclass(frozen=True)
class DtmfIn:
    digit: str


@dataclass(frozen=True)
class HangupIn:
    reason: str = "caller_hangup"


InboundEvent = AudioIn | DtmfIn | HangupIn


class ChannelClosed(ConnectionError):
    """The far end is gone; sending more is pointless."""


class Channel(Protocol):
    """The outbound half of a channel adapter, as the call session sees it."""

    name: str
    output_format: OutputFormat
    input_rate: int  # sample rate of the caller's audio (8000 or 16000)

    async def send_audio(self, chunk: bytes) -> None:
        """Send one frame of audio in `output_format`."""

    async def clear(self) -> None:
        """Tell the far end to drop audio it has buffered but not yet played."""

    async def transfer(self, target: str) -> bool:
        """Hand the call to `target` (number or SIP URI); False if this channel cannot."""

    async def hangup(self) -> None:
        """End the call from our side."""


Put = Callable[[InboundEvent], Awaitable[None]]  # hands the call one inbound event
Pump = Callable[[Put], Awaitable[None]]  # reads the wire, putting events, until hangup
StartCall = Callable[[CallContext, Channel, Pump], Awaitable[None]]
"""Runs one call over a channel (`bot.call.runner.call_starter`); returns when it is over."""
