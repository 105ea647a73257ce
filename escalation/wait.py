"""Position in the queue and the estimated wait, from recent handle times."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class WaitInfo:
    """Where a waiting caller stands: 1-based position and the estimated wait in seconds."""

    position: int
    estimated_wait_s: float

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.estimated_wait_s / 60.0))

    def announcement(self) -> str:
        """What the bot says: "You are number 3; the wait is about 4 minutes." """
        if self.position <= 0:
            return "An agent will be with you shortly."
        if self.position == 1:
            lead = "You are next in line"
        else:
            lead = f"You are number {self.position}"
        if self.estimated_wait_s < 60:
            return f"{lead}; the wait is less than a minute."
        unit = "minute" if self.minutes == 1 else "minutes"
        return f"{lead}; the wait is about {self.minutes} {unit}."


def estimate_wait(
    position: int,
    handle_times_s: Sequence[float],
    agents: int,
    default_handle_time_s: float = 240.0,
) -> WaitInfo:
    """Estimated wait = callers ahead and this one, times the median handle time, over the agents.

    The median of recent handle times resists one very long call; with no history the
    configured default stands in. At least one agent is assumed so the estimate stays finite.
    """
    handle = statistics.median(handle_times_s) if handle_times_s else default_handle_time_s
    ahead = max(0, position - 1)
    # The caller at the head waits for the first agent to free up: on average half a call.
    wait = (ahead + 0.5) * handle / max(1, agents) if position > 0 else 0.0
    return WaitInfo(position=position, estimated_wait_s=round(wait, 1))
