"""The bot's side of supervisor monitoring (`escalation.monitor.CallMonitor`): the calls in
this process with their state, and supervisors joining their audio through the call's taps."""

from __future__ import annotations

import time
from typing import Any

from bot.call.monitor_tap import CallTap, SupervisorTap
from bot.call.registry import CallRegistry
from bot.channels.base import Channel
from escalation.bridge import CallGone


class BotCallMonitor:
    """Owns the audio taps of this process's calls; the registry owns the calls."""

    def __init__(self, registry: CallRegistry) -> None:
        self.registry = registry
        self._taps: dict[str, CallTap] = {}

    def open_tap(self, call_id: str, channel: Channel) -> CallTap:
        """A call starts: its tap (whose `channel` the session is given)."""
        tap = CallTap(call_id, channel)
        tap.has_agent = lambda: self._agent_of(call_id) is not None
        self._taps[call_id] = tap
        return tap

    async def close_tap(self, call_id: str) -> None:
        tap = self._taps.pop(call_id, None)
        if tap is not None:
            await tap.close()

    def _agent_of(self, call_id: str) -> str | None:
        leg = getattr(self.registry.get(call_id), "agent_leg", None)
        return None if leg is None or leg.closed else getattr(leg, "agent_id", None)

    def live_calls(self) -> list[dict[str, Any]]:
        now = time.time()
        calls = []
        for session in self.registry.calls():
            tap = self._taps.get(session.call_id)
            if tap is None:
                continue
            state = getattr(session, "state", None)
            turns = getattr(session, "turns", None)
            context = getattr(session, "context", None)
            calls.append({
                "call_id": session.call_id,
                "channel": getattr(context, "channel", ""),
                "caller": getattr(context, "caller", ""),
                "state": state.value if state is not None else "unknown",
                "last_intent": getattr(turns, "last_intent", None),
                "started_at": tap.started,
                "duration_s": round(now - tap.started, 1),
                "agent": self._agent_of(session.call_id),
                "supervisors": [{"username": leg.username, "mode": leg.mode} for leg in tap.legs],
            })
        return sorted(calls, key=lambda c: c["started_at"])

    async def join(self, call_id: str, supervisor: str, mode: str) -> SupervisorTap:
        tap = self._taps.get(call_id)
        if tap is None or self.registry.get(call_id) is None:
            raise CallGone(call_id)
        return tap.join(supervisor, mode)
