"""`EscalationServices`: the one object the bot opens; queue flow, records, agents, events.

Call states: waiting -> offered (an agent pressed accept; must answer within
`answer_timeout_s`) -> connected (audio bridged) -> wrap_up (call over, notes pending) ->
removed. An offer that is not answered in time, or a connected agent who drops, puts the
call back at the head of its priority.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from escalation.agents import Agent, AgentDirectory
from escalation.api_tokens import ApiTokens
from escalation.audit import AuditTrail
from escalation.bridge import CallControl
from escalation.bus import EventBus, LocalBus, RedisBus
from escalation.hours import BusinessHours
from escalation.models import HandoffContext, QueueEntry
from escalation.records import CallbackBook, TicketBook
from escalation.redact import redact
from escalation.spool import Spool
from escalation.stores import EscalationStore, StoreError, open_store
from escalation.wait import WaitInfo, estimate_wait

log = logging.getLogger(__name__)
# A connected call's lease: the agent's audio socket renews it; if the process holding the
# socket dies, the sweeper (on any machine) puts the call back when the lease runs out.
CONNECTED_LEASE_S = 30.0
# Each bot process is a "node" that holds its callers' audio. It says it is alive in the store
# every NODE_HEARTBEAT_S; a waiting entry whose node has been silent for NODE_TTL_S lost its
# call with that process (crash, kill -9, machine gone), so it becomes a callback task.
NODE_HEARTBEAT_S = 2.0
NODE_TTL_S = 10.0
SWEEPER_STOP_S = 5.0  # close() waits this long for the sweeper
DISPOSITIONS = ("resolved", "ticket_created", "callback_needed", "handed_back", "caller_hung_up",
                "other")


class EscalationError(Exception):
    """A request that cannot be done now; `status` is the HTTP status that says why."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


class EscalationServices:
    """Queue, records, agents and events over one store; open with `await EscalationServices.open(...)`."""

    def __init__(self, store: EscalationStore, bus: EventBus, hours: BusinessHours, *,
                 answer_timeout_s: float, default_handle_time_s: float, session_ttl_s: float,
                 cookie_secure: bool, sweep_interval_s: float, session_idle_s: float):
        self.store = store
        self.bus = bus
        self.hours = hours
        self.answer_timeout_s = answer_timeout_s
        self.default_handle_time_s = default_handle_time_s
        self.cookie_secure = cookie_secure
        self.sweep_interval_s = sweep_interval_s
        self.agents = AgentDirectory(store, session_ttl_s, session_idle_s)
        self.api_tokens = ApiTokens(store)
        self.audit = AuditTrail(store)
        self.tickets = TicketBook(store)
        self.callbacks = CallbackBook(store)
        self.call_control: CallControl | None = None  # set by the bot once its calls can bridge
        self.node_id = uuid.uuid4().hex[:12]  # this process; the bot stamps it on its callers' context
        self.advertise_url = ""  # how other bot machines reach this one (cluster.advertise_url)
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False
        self._last_heartbeat = 0.0
        # Records made while the store is unreachable wait here (local disk) until it is back.
        self.spool: Spool | None = None
        self._store_down = False

    @classmethod
    async def open(
        cls,
        *,
        store: str,
        sqlite_path: str | Path,
        redis_url: str,
        redis_prefix: str,
        business_hours: str,
        timezone: str,
        answer_timeout_s: float,
        default_handle_time_s: float,
        session_ttl_s: float,
        session_idle_s: float,
        cookie_secure: bool,
        sweep_interval_s: float = 1.0,
        call_control: CallControl | None = None,
        start_sweeper: bool = True,
        spool_path: str | Path | None = None,
    ) -> EscalationServices:
        """Open the store and event bus; raises StoreError or HoursError with a one-line message.

        The configuration has no defaults here: they are the bot's settings (`open_from_settings`).
        With `spool_path`, callback tasks and tickets made while the store is unreachable are
        kept in that local file and delivered by the sweeper when the store answers again."""
        hours = BusinessHours.parse(business_hours, timezone)
        spool = await Spool.open(spool_path) if spool_path else None
        backend = await open_store(store, str(sqlite_path), redis_url, redis_prefix)
        if store == "redis":
            bus: EventBus = await RedisBus.open(backend.redis, redis_prefix + "events")  # type: ignore[attr-defined]
        else:
            bus = LocalBus()
        services = cls(backend, bus, hours, answer_timeout_s=answer_timeout_s,
                       default_handle_time_s=default_handle_time_s, session_ttl_s=session_ttl_s,
                       session_idle_s=session_idle_s, cookie_secure=cookie_secure, sweep_interval_s=sweep_interval_s)
        services.call_control = call_control
        services.spool = spool
        if start_sweeper:
            services._sweeper = asyncio.create_task(services._sweep_loop(), name="escalation-sweeper")
        return services

    @classmethod
    async def open_from_settings(cls, settings: Any, **overrides: Any) -> EscalationServices:
        """Open from the bot's Settings (read by attribute: `settings.escalation.*`, `settings.path`)."""
        esc = settings.escalation
        args: dict[str, Any] = {
            "store": esc.store, "sqlite_path": settings.data_path(esc.sqlite_path),
            "redis_url": esc.redis_url, "redis_prefix": esc.redis_prefix,
            "business_hours": esc.business_hours, "timezone": esc.timezone,
            "answer_timeout_s": esc.answer_timeout_s, "default_handle_time_s": esc.default_handle_time_s,
            "session_ttl_s": esc.session_ttl_s, "session_idle_s": esc.session_idle_s,
            "cookie_secure": esc.cookie_secure,
            "spool_path": settings.data_path(esc.spool_path),
        }
        services = await cls.open(**{**args, **overrides})
        services.audit.retention_days = esc.audit_retention_days
        return services

    async def close(self) -> None:
        if self._sweeper:
            # redis-py's asyncio client can swallow a cancellation that lands inside a command
            # (redis/redis-py#2551): the flag ends the loop at its next turn all the same, and
            # the wait is bounded so a stuck store cannot hang shutdown.
            self._closing = True
            self._sweeper.cancel()
            done, _ = await asyncio.wait({self._sweeper}, timeout=SWEEPER_STOP_S)
            if not done:
                log.warning("escalation sweeper did not stop within %.0f s", SWEEPER_STOP_S)
            elif not self._sweeper.cancelled() and self._sweeper.exception() is not None:
                log.warning("escalation sweeper ended with %r", self._sweeper.exception())
            with contextlib.suppress(Exception):  # a clean stop: our calls were ended already
                await self.store.delete_record("node", self.node_id)
        await self.bus.close()
        await self.store.close()
        if self.spool is not None:
            await self.spool.close()

    # -- events -------------------------------------------------------------------------
    async def _entry_event(self, entry: QueueEntry) -> None:
        await self.bus.publish({"type": "entry", "entry": entry.public(), "at": time.time()})

    async def _removed_event(self, call_id: str, why: str) -> None:
        await self.bus.publish({"type": "removed", "call_id": call_id, "why": why, "at": time.time()})

    async def snapshot(self) -> dict[str, Any]:
        """Everything a console shows on connect: waiting (in order), held calls, agents."""
        now = time.time()
        return {
            "type": "snapshot",
            "waiting": [e.public(now) for e in await self.store.waiting()],
            "active": [e.public(now) for e in await self.store.active()],
            "agents": [a.public() for a in await self.agents.list()],
        }

    # -- the bot's side -----------------------------------------------------------------
    def is_open(self, when: Any = None) -> bool:
        """Whether agents are working now (business hours)."""
        return self.hours.is_open(when)

    async def enqueue(self, context: HandoffContext | Mapping[str, Any],
                      skills: Iterable[str] = ()) -> QueueEntry:
        """Queue a caller with their (redacted) context; durable when this returns."""
        ctx = context.to_dict() if isinstance(context, HandoffContext) else dict(context)
        entry = QueueEntry(call_id=ctx["call_id"], priority=ctx.get("priority", "normal"),
                           context=ctx, skills=sorted(set(skills)))
        entry = await self.store.enqueue(entry)
        await self._entry_event(entry)
        log.info("call %s queued as %s (%s)", entry.call_id, entry.priority, ctx.get("reason"))
        return entry

    async def wait_info(self, call_id: str) -> WaitInfo | None:
        """Position and estimated wait of a waiting caller; None when not waiting."""
        waiting = await self.store.waiting()
        position = next((i + 1 for i, e in enumerate(waiting) if e.call_id == call_id), 0)
        if not position:
            return None
        staffed = sum(1 for a in await self.agents.list() if a.presence in ("available", "busy"))
        return estimate_wait(position, await self.store.handle_times(), staffed,
                             self.default_handle_time_s)

    async def abandon(self, call_id: str) -> QueueEntry | None:
        """The caller hung up: drop their entry wherever it stands (while the store is
        unreachable the removal is spooled, so no agent later picks up a call that is gone)."""
        try:
            entry = await self.store.remove(call_id)
        except StoreError as exc:
            await self._spool("abandon", call_id, {"call_id": call_id, "created_at": time.time()}, exc)
            return None
        if entry:
            await self._removed_event(call_id, "abandoned")
            await self._keep_abandoned(entry)
        return entry

    async def _keep_abandoned(self, entry: QueueEntry) -> None:
        """What analytics needs of a caller who hung up in the queue (wait, reason, channel);
        a failure here never undoes the abandonment."""
        now = time.time()
        record = {"call_id": entry.call_id, "channel": entry.context.get("channel"),
                  "reason": entry.context.get("reason"), "priority": entry.priority,
                  "enqueued_at": entry.enqueued_at, "wait_s": now - entry.enqueued_at,
                  "created_at": now}
        try:
            await self.store.put_record("abandoned", entry.call_id, record)
        except StoreError as exc:
            log.warning("call %s: abandonment not kept for analytics (%s)", entry.call_id, exc)

    async def request_callback(self, call_id: str, number: str | None = None,
                               why: str = "callback") -> dict[str, Any]:
        """Turn a waiting caller into a callback task with their context; they leave the queue."""
        entry = await self.store.get(call_id)
        if entry is None:
            raise EscalationError(f"call {call_id} is not queued", 404)
        ctx = entry.context
        record = await self.callbacks.create(number or ctx.get("caller", ""), ctx, call_id,
                                             ctx.get("reason", "caller_request"), entry.priority,
                                             notes="" if why == "callback" else f"call lost: {why}")
        await self.store.remove(call_id)
        await self._removed_event(call_id, why)
        await self.bus.publish({"type": "callback", "record": record})
        return record

    # -- nodes: which bot process holds a caller's audio ---------------------------------
    async def heartbeat(self, now: float | None = None) -> None:
        """Say in the store that this node (and so every call it holds) is alive."""
        now = now or time.time()
        if not self._last_heartbeat:  # first beat: forget nodes long gone (missing = not alive)
            for record in await self.store.list_records("node"):
                if now - float(record.get("seen", 0)) > NODE_TTL_S:
                    await self.store.delete_record("node", record["node"])
        await self.store.put_record("node", self.node_id, {"node": self.node_id, "seen": now,
                                                           "created_at": now, "url": self.advertise_url})
        self._last_heartbeat = now

    async def node_alive(self, node: str, now: float | None = None) -> bool:
        """Whether the bot process `node` has said it is alive within NODE_TTL_S."""
        if node == self.node_id:
            return True
        record = await self.store.get_record("node", node)
        return bool(record) and (now or time.time()) - float(record.get("seen", 0)) < NODE_TTL_S

    async def recover_orphans(self, now: float | None = None) -> list[dict[str, Any]]:
        """Waiting entries whose bot process died with the call become callback tasks, in order.

        Only entries the bot stamped with a `node` are judged; their context is kept whole in
        the callback task, so no escalation is lost with the process that held it.
        """
        alive: dict[str, bool] = {}
        records = []
        for entry in await self.store.waiting():
            node = entry.context.get("node")
            if not node:
                continue
            if node not in alive:
                alive[node] = await self.node_alive(node, now)
            if alive[node]:
                continue
            with contextlib.suppress(EscalationError):  # someone else converted it meanwhile
                records.append(await self.request_callback(entry.call_id, why="bot_process_ended"))
                log.warning("call %s lost with bot process %s: now callback task %s",
                            entry.call_id, node, records[-1]["id"])
        return records

    async def record_transfer(self, context: HandoffContext | Mapping[str, Any],
                              target: str) -> dict[str, Any]:
        """Keep the context of a call transferred to a number or SIP address, by call id, so
        the person who answers can find it (`GET /api/transfers/{call_id}`)."""
        ctx = context.to_dict() if isinstance(context, HandoffContext) else dict(context)
        record = {"call_id": ctx["call_id"], "target": target, "context": ctx, "created_at": time.time()}
        await self.store.put_record("transfer", ctx["call_id"], record)
        await self.bus.publish({"type": "transfer", "record": record})
        return record

    async def create_ticket(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        """Persist a complaint ticket from the dialogue (`BotTurn.ticket`); spooled locally
        (and delivered later) while the store is unreachable."""
        record = self.tickets.build(ticket)
        try:
            await self.store.put_record("ticket", record["reference"], record)
        except StoreError as exc:
            await self._spool("ticket", record["reference"], record, exc)
            return record
        await self.bus.publish({"type": "ticket", "record": record})
        return record

    async def keep_callback(self, number: str, context: Mapping[str, Any], call_id: str,
                            reason: str, priority: str, notes: str = "") -> tuple[dict[str, Any], bool]:
        """A callback task that is never lost: in the store, or - while the store is
        unreachable - in the local spool until it is back. Returns (record, spooled)."""
        record = self.callbacks.build(number, context, call_id, reason, priority, notes)
        try:
            await self.store.put_record("callback", record["id"], record)
        except StoreError as exc:
            await self._spool("callback", record["id"], record, exc)
            return record, True
        await self.bus.publish({"type": "callback", "record": record})
        return record, False

    async def _spool(self, kind: str, record_id: str, record: dict[str, Any], exc: StoreError) -> None:
        if self.spool is None:
            raise exc
        await self.spool.add(kind, record_id, record)
        log.info("%s %s kept in the local spool until the store is back (%s)", kind, record_id, exc)

    async def deliver_spool(self) -> int:
        """Put spooled records into the store, oldest first; how many were delivered
        (stops at the first StoreError: the store is still down)."""
        if self.spool is None:
            return 0
        delivered = 0
        for spool_id, kind, record_id, record in await self.spool.pending():
            if kind == "abandon":
                if await self.store.remove(record_id):
                    await self._removed_event(record_id, "abandoned")
                await self.spool.remove(spool_id)
                continue
            await self.store.put_record(kind, record_id, record)  # same id: idempotent
            await self.spool.remove(spool_id)
            await self.bus.publish({"type": kind, "record": record})
            log.info("%s %s (call %s) delivered from the local spool", kind, record_id,
                     record.get("call_id"))
            delivered += 1
        return delivered

    # -- the console's side -------------------------------------------------------------
    async def _held_by(self, call_id: str, agent: Agent, states: Iterable[str]) -> QueueEntry:
        entry = await self.store.get(call_id)
        if entry is None:
            raise EscalationError(f"call {call_id} is not in the queue", 404)
        if entry.agent_id != agent.username and agent.role != "supervisor":
            raise EscalationError(f"call {call_id} is held by another agent", 403)
        if entry.state not in set(states):
            raise EscalationError(f"call {call_id} is {entry.state}", 409)
        return entry

    async def accept(self, call_id: str, agent: Agent) -> QueueEntry:
        """Offer the call to this agent, who must answer within answer_timeout_s."""
        current = await self.store.get(call_id)
        if current is None:
            raise EscalationError(f"call {call_id} is not in the queue", 404)
        missing = set(current.skills) - set(agent.skills)
        if missing and agent.role != "supervisor":
            raise EscalationError(f"call needs skills: {', '.join(sorted(missing))}", 403)
        entry = await self.store.transition(call_id, ["waiting"], {
            "state": "offered", "agent_id": agent.username,
            "deadline": time.time() + self.answer_timeout_s,
        })
        if entry is None:
            raise EscalationError(f"call {call_id} was taken by someone else", 409)
        await self.agents.set_presence(agent.username, "busy")
        await self._entry_event(entry)
        await self._presence_event(agent.username)
        return entry

    async def answered(self, call_id: str, agent: Agent) -> QueueEntry:
        """The agent's audio is up: the call is connected."""
        await self._held_by(call_id, agent, ["offered"])
        entry = await self.store.transition(call_id, ["offered"], {
            "state": "connected", "deadline": time.time() + CONNECTED_LEASE_S,
            "connected_at": time.time()})
        if entry is None:
            raise EscalationError(f"call {call_id} is no longer offered to you", 409)
        await self._entry_event(entry)
        return entry

    async def renew(self, call_id: str, agent: Agent) -> bool:
        """Extend a connected call's lease (the agent's audio socket is alive)."""
        entry = await self.store.transition(call_id, ["connected"], {
            "deadline": time.time() + CONNECTED_LEASE_S})
        return entry is not None and entry.agent_id == agent.username

    async def release(self, call_id: str, why: str = "agent_dropped") -> QueueEntry | None:
        """Back to the head of its priority (no answer, or the agent disconnected)."""
        before = await self.store.get(call_id)
        entry = await self.store.requeue_head(call_id, ["offered", "connected"])
        if entry is None:
            return None
        if before and before.state == "connected" and self.call_control:
            with contextlib.suppress(Exception):
                await self.call_control.release(call_id)
        if before and before.agent_id:
            agent = await self.agents.get(before.agent_id)
            if agent and agent.presence == "busy":
                await self.agents.set_presence(agent.username, "available")
                await self._presence_event(agent.username)
        log.info("call %s back at the head of the %s queue (%s)", call_id, entry.priority, why)
        await self._entry_event(entry)
        return entry

    async def _end(self, call_id: str, agent: Agent, how: str) -> QueueEntry:
        await self._held_by(call_id, agent, ["offered", "connected"])
        entry = await self.store.transition(call_id, ["offered", "connected"],
                                            {"state": "wrap_up", "deadline": None})
        if entry is None:
            raise EscalationError(f"call {call_id} changed meanwhile", 409)
        if self.call_control:
            try:
                await getattr(self.call_control, how)(call_id)
            except Exception as exc:  # the caller may have gone; the wrap-up still happens
                log.warning("call %s: %s failed: %s", call_id, how, exc)
        await self._entry_event(entry)
        return entry

    async def hang_up(self, call_id: str, agent: Agent) -> QueueEntry:
        return await self._end(call_id, agent, "hang_up")

    async def hand_back(self, call_id: str, agent: Agent) -> QueueEntry:
        return await self._end(call_id, agent, "hand_back")

    async def wrap_up(self, call_id: str, agent: Agent, notes: str = "",
                      disposition: str = "resolved") -> dict[str, Any]:
        """Record notes and disposition; the call leaves the queue and the agent is free."""
        if disposition not in DISPOSITIONS:
            raise EscalationError(f"disposition must be one of {', '.join(DISPOSITIONS)}", 400)
        entry = await self._held_by(call_id, agent, ["offered", "connected", "wrap_up"])
        if entry.state != "wrap_up":
            entry = await self._end(call_id, agent, "hang_up")
        now = time.time()
        handle_s = now - entry.connected_at if entry.connected_at else None
        record = {
            "call_id": call_id, "agent": agent.username, "disposition": disposition,
            "notes": redact(notes), "handle_s": handle_s, "priority": entry.priority,
            "reason": entry.context.get("reason"), "summary": entry.context.get("summary"),
            "channel": entry.context.get("channel"), "enqueued_at": entry.enqueued_at,
            "created_at": now,
        }
        await self.store.put_record("wrapup", call_id, record)
        await self.store.remove(call_id)
        if handle_s is not None:
            await self.store.add_handle_time(handle_s)
        await self.agents.set_presence(agent.username, "available")
        await self._removed_event(call_id, "wrapped_up")
        await self._presence_event(agent.username)
        return record

    async def set_presence(self, agent: Agent, presence: str) -> Agent | None:
        updated = await self.agents.set_presence(agent.username, presence)
        await self._presence_event(agent.username)
        return updated

    async def _presence_event(self, username: str) -> None:
        agent = await self.agents.get(username)
        if agent:
            await self.bus.publish({"type": "agent", "agent": agent.public()})

    async def sweep(self, now: float | None = None) -> list[QueueEntry]:
        """Requeue offers nobody answered in time and connected calls whose lease ran out."""
        now = now or time.time()
        back = []
        for entry in await self.store.active():
            if entry.state in ("offered", "connected") and entry.deadline and entry.deadline <= now:
                why = "no_answer" if entry.state == "offered" else "lease_expired"
                requeued = await self.release(entry.call_id, why)
                if requeued:
                    back.append(requeued)
        return back

    async def _sweep_loop(self) -> None:
        while not self._closing:
            try:
                await self.deliver_spool()
                if time.time() - self._last_heartbeat >= NODE_HEARTBEAT_S:
                    await self.heartbeat()
                await self.sweep()
                await self.recover_orphans()
                if self._store_down:
                    self._store_down = False
                    log.info("escalation store reachable again")
            except StoreError as exc:  # an outage is logged once, not every second
                if not self._store_down:
                    self._store_down = True
                    log.error("escalation store unreachable: %s", exc)
            except Exception as exc:  # a store blip must not end the sweeper
                log.warning("escalation sweeper: %s", exc)
            await asyncio.sleep(self.sweep_interval_s)
