"""The real call core, wired for tests: session, listener, handoff desk, agent bridge, runner.

Real: `CallSession` and everything it owns, the call runner, `HandoffDesk`, `BotCallControl`,
the endpointer, call records and the escalation queue (SQLite in a temp folder). Scripted
(fake_*.py): the phone line and caller, the recognizer's words, speech timing, the dialogue's
replies. Run on the virtual clock (tests/fake_clock.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiosqlite
from aiohttp import web

from bot.call.agent_bridge import BotCallControl
from bot.call.handoff import HandoffDesk
from bot.call.records import CallRecords
from bot.call.registry import CallRegistry
from bot.call.runner import call_starter
from bot.call.services import SERVICES, CallServices
from bot.call.session import CallSession
from bot.channels.base import CallContext
from bot.config import Settings
from bot.metrics import CallMetrics
from bot.server import CALLS
from escalation.agents import Agent
from escalation.services import EscalationServices

from .fake_channel import FakeChannel
from .fake_dialogue import ScriptedDialogue
from .fake_recognizer import FakeRecognizers
from .fake_speech import FakeSpeech

AGENT = Agent(username="alice", role="supervisor")


@dataclass
class Call:
    """One placed call: the caller's line, the bot's session, the runner's task."""

    channel: FakeChannel
    session: CallSession
    task: asyncio.Task[None]

    @property
    def call_id(self) -> str:
        return self.session.call_id

    async def ended(self, timeout_s: float = 120.0) -> None:
        await asyncio.wait_for(asyncio.shield(self.task), timeout_s)


@dataclass
class Rig:
    settings: Settings
    services: CallServices
    escalation: EscalationServices
    control: BotCallControl
    registry: CallRegistry
    speech: FakeSpeech
    recognizers: FakeRecognizers
    dialogue: ScriptedDialogue
    tmp: Path
    _app: web.Application

    async def call(self, caller: str = "+15550100001") -> Call:
        """Place a call through the real call runner and wait until the bot has it."""
        n = len(self.registry)
        context = CallContext(call_id=f"call-{len(self.recognizers.opened)}-{n}", channel="fake",
                              caller=caller)
        channel = FakeChannel()
        task = asyncio.ensure_future(call_starter(self._app)(context, channel, channel.pump))
        await channel.until(lambda: self.registry.get(context.call_id) is not None, 5, "call start")
        session = self.registry.get(context.call_id)
        assert isinstance(session, CallSession)
        channel.recognizers = self.recognizers
        return Call(channel, session, task)

    async def accept(self, call: Call) -> None:
        """An agent accepts the call in the console and their audio comes up."""
        await self.escalation.accept(call.call_id, AGENT)
        await self.escalation.answered(call.call_id, AGENT)
        await self.control.accept(call.call_id, AGENT.username)

    async def waiting(self) -> list[str]:
        return [entry.call_id for entry in await self.escalation.store.waiting()]

    async def break_queue_store(self) -> None:
        """The queue's table is gone: every queue operation fails with StoreError."""
        async with aiosqlite.connect(self.tmp / "escalation.sqlite3") as db:
            await db.execute("DROP TABLE queue")
            await db.commit()

    async def record(self, call: Call) -> dict:
        records = self.services.records
        return {"call": await records.get(call.call_id), "events": await records.events(call.call_id),
                "turns": await records.transcript(call.call_id)}


@contextlib.asynccontextmanager
async def call_rig(tmp: Path, **escalation: object) -> AsyncIterator[Rig]:
    """The call core over fresh stores in `tmp`; `escalation` overrides its settings."""
    settings = Settings()
    settings.paths.data_dir = tmp
    settings.escalation.hold_announce_interval_s = 5
    for key, value in escalation.items():
        setattr(settings.escalation, key, value)
    metrics = CallMetrics()
    records = await CallRecords(tmp / "calls.db").open()
    queue = await EscalationServices.open_from_settings(
        settings, store="sqlite", sqlite_path=tmp / "escalation.sqlite3", business_hours="always",
        start_sweeper=False, spool_path=tmp / "spool.sqlite3")
    registry = CallRegistry()
    control = BotCallControl(registry, queue)
    queue.call_control = control
    speech, recognizers, dialogue = FakeSpeech(), FakeRecognizers(), ScriptedDialogue()
    services = CallServices(settings=settings, metrics=metrics, records=records, engine=dialogue,
                            recognizers=recognizers, speech=speech, escalation=queue,  # type: ignore[arg-type]
                            clock=asyncio.get_running_loop().time)
    services.handoffs = HandoffDesk(settings.escalation, queue, records, metrics)
    await services.prerender_prompts(["mulaw8k"])
    app = web.Application()
    app[SERVICES] = services
    app[CALLS] = registry
    try:
        yield Rig(settings, services, queue, control, registry, speech, recognizers, dialogue, tmp, app)
    finally:
        await queue.close()
        await records.close()
