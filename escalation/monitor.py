"""What the console needs from the call layer to let a supervisor watch and join live calls.

The bot implements `CallMonitor` (bot/call/monitor.py); the console's monitor routes
(escalation/monitor_web.py) call it. Audio crosses this boundary as PCM16 mono 16 kHz, like
the agent's (`escalation.bridge`).

Modes: `listen` (the supervisor hears the caller and the bot or agent; nobody hears them),
`whisper` (the agent hears the supervisor too; the caller does not), `barge` (three-way:
caller, agent and supervisor all hear each other).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol

MonitorMode = Literal["listen", "whisper", "barge"]
MODES: tuple[str, ...] = ("listen", "whisper", "barge")
TALKING_MODES = ("whisper", "barge")  # modes that need an agent on the call
MONITOR_KEY = "escalation_call_monitor"  # app key: the bot's CallMonitor


class NoAgentOnCall(Exception):
    """Whisper and barge need an agent on the call; the console answers 409."""


class SupervisorLeg(Protocol):
    """One supervisor joined to one call."""

    sample_rate: int
    mode: str

    def set_mode(self, mode: str) -> None:
        """Switch listen / whisper / barge; raises NoAgentOnCall for a talking mode without one."""

    async def send(self, pcm: bytes) -> None:
        """The supervisor's microphone; heard by whom the mode says (nobody when listening)."""

    def receive(self) -> AsyncIterator[bytes]:
        """The call mixed for the supervisor; ends when the call ends or the leg closes."""

    async def close(self) -> None:
        """Leave the call (the call itself goes on)."""


class CallMonitor(Protocol):
    """Implemented by the bot over the calls in this process."""

    def live_calls(self) -> list[dict[str, Any]]:
        """Every call in progress: call_id, channel, caller, state, last_intent, duration_s,
        agent (or None) and supervisors ([{"username", "mode"}])."""

    async def join(self, call_id: str, supervisor: str, mode: str) -> SupervisorLeg:
        """Join a call; raises escalation.bridge.CallGone when it is not here, NoAgentOnCall
        for whisper or barge on a call without an agent."""
