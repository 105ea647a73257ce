"""Plain values of the escalation domain: priorities, queue entries, handoff context."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Priority = Literal["urgent", "complaint", "normal"]
PRIORITY_RANK: dict[str, int] = {"urgent": 0, "complaint": 1, "normal": 2}

# waiting: in the queue; offered: an agent took it and must answer within the timeout;
# connected: the agent talks to the caller; wrap_up: the call ended, notes are pending.
EntryState = Literal["waiting", "offered", "connected", "wrap_up"]
ACTIVE_STATES = ("offered", "connected", "wrap_up")


def priority_rank(priority: str) -> int:
    """0 for the most urgent priority; unknown priorities count as normal."""
    return PRIORITY_RANK.get(priority, PRIORITY_RANK["normal"])


@dataclass
class HandoffContext:
    """What the agent sees when the call pops up (already redacted)."""

    call_id: str
    caller: str
    channel: str
    reason: str
    priority: str = "normal"
    last_intent: str | None = None
    confidence: float = 0.0
    slots: dict[str, Any] = field(default_factory=dict)
    transcript: list[dict[str, Any]] = field(default_factory=list)  # {"speaker", "text", "at"}
    summary: str = ""
    started_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HandoffContext:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class QueueEntry:
    """One escalated call: where it stands in the queue and its full context."""

    call_id: str
    priority: str
    context: dict[str, Any]
    skills: list[str] = field(default_factory=list)
    enqueued_at: float = field(default_factory=time.time)
    seq: int = 0
    state: str = "waiting"
    agent_id: str | None = None
    deadline: float | None = None  # offered: requeue when not answered by then
    connected_at: float | None = None
    requeues: int = 0

    @property
    def rank(self) -> int:
        return priority_rank(self.priority)

    def waited_s(self, now: float | None = None) -> float:
        return max(0.0, (now or time.time()) - self.enqueued_at)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueueEntry:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    @classmethod
    def from_json(cls, text: str | bytes) -> QueueEntry:
        return cls.from_dict(json.loads(text))

    def public(self, now: float | None = None) -> dict[str, Any]:
        """The JSON shape of the API and the console (with the time waited so far)."""
        data = self.to_dict()
        data["waited_s"] = round(self.waited_s(now), 1)
        return data


def queue_order(entries: list[QueueEntry]) -> list[QueueEntry]:
    """Priority first, then first-in-first-out (requeued calls carry a smaller seq)."""
    return sorted(entries, key=lambda e: (e.rank, e.seq))
