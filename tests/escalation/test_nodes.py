"""Which bot process holds a call: orphaned entries become callbacks; CallGone vs CallElsewhere."""

from __future__ import annotations

import time

import pytest

from bot.call.agent_bridge import BotCallControl
from bot.call.registry import CallRegistry
from escalation.bridge import CallElsewhere, CallGone
from escalation.context import build_context
from escalation.services import NODE_TTL_S
from tests.escalation.helpers import open_services

from .conftest import service_args


def ctx(call_id: str, node: str | None, priority: str = "normal") -> dict:
    context = build_context(call_id, "+15550002", "twilio", "request_human", priority, "request_human",
                            1.0, {"category": "fees"}, [("caller", "I want a person")]).to_dict()
    return {**context, "node": node} if node else context


@pytest.fixture(params=["sqlite", "redis"])
async def two_nodes(request, tmp_path, redis_server):
    """Two bot processes sharing one store (for SQLite: the same file, as after a restart)."""
    args = service_args(request.param, tmp_path, redis_server)
    a = await open_services(**args, business_hours="always", start_sweeper=False)
    b = await open_services(**args, business_hours="always", start_sweeper=False)
    await a.heartbeat()
    await b.heartbeat()
    yield a, b
    await a.close()
    await b.close()


async def test_entries_of_a_dead_node_become_callbacks_in_order(two_nodes) -> None:
    a, b = two_nodes
    for i, priority in enumerate(["normal", "urgent", "normal"]):
        await a.enqueue(ctx(f"a{i}", a.node_id, priority))
    await b.enqueue(ctx("b0", b.node_id))
    await a.enqueue(ctx("legacy", None))  # not stamped by a bot: never judged
    assert await b.recover_orphans() == []  # a is alive
    await a.heartbeat(now=time.time() - NODE_TTL_S - 1)  # a was killed: its heartbeat stops
    sub = b.bus.subscribe()
    records = await b.recover_orphans()
    assert [r["call_id"] for r in records] == ["a1", "a0", "a2"]  # queue order: urgent first
    assert all(r["notes"] == "call lost: bot_process_ended" for r in records)
    assert records[0]["priority"] == "urgent" and records[0]["number"] == "+15550002"
    assert records[0]["context"]["transcript"][0]["text"] == "I want a person"
    assert records[0]["context"]["slots"] == {"category": "fees"}
    assert [e.call_id for e in await b.store.waiting()] == ["b0", "legacy"]
    assert (await sub.get())["type"] == "removed"
    sub.close()
    assert len(await b.callbacks.list()) == 3


async def test_call_control_tells_gone_from_elsewhere(two_nodes) -> None:
    a, b = two_nodes
    control = BotCallControl(CallRegistry(), b)
    await a.enqueue(ctx("on-a", a.node_id))
    await b.enqueue(ctx("on-b", b.node_id))
    await a.enqueue(ctx("unstamped", None))
    with pytest.raises(CallElsewhere):  # alive on the other machine: the console requeues it
        await control.accept("on-a", "alice")
    with pytest.raises(CallGone):  # ours, but not in our registry: the caller has left
        await control.accept("on-b", "alice")
    with pytest.raises(CallGone):
        await control.accept("unstamped", "alice")
    with pytest.raises(CallGone):
        await control.accept("no-such-call", "alice")
    await a.heartbeat(now=time.time() - NODE_TTL_S - 1)  # the other machine died
    with pytest.raises(CallGone):
        await control.accept("on-a", "alice")
    with pytest.raises(CallGone):  # without the escalation services there is no elsewhere
        await BotCallControl(CallRegistry()).accept("on-a", "alice")
    # release / hand-back / hang-up of a call that is not here are no-ops (idempotent)
    await control.release("on-a")
    await control.hand_back("on-a")
    await control.hang_up("on-a")


async def test_console_requeues_elsewhere_and_turns_gone_into_callback(two_nodes, aiohttp_client) -> None:
    import aiohttp
    from aiohttp import web

    from escalation.web import setup_escalation

    a, b = two_nodes
    b.call_control = BotCallControl(CallRegistry(), b)
    app = web.Application()
    setup_escalation(app, b)
    client = await aiohttp_client(app)
    await b.agents.add("alice", "alice-password")
    resp = await client.post("/api/login", json={"username": "alice", "password": "alice-password"})
    headers = {"X-CSRF-Token": (await resp.json())["csrf"]}
    await a.enqueue(ctx("first", None))
    await a.enqueue(ctx("on-a", a.node_id))
    await b.enqueue(ctx("on-b", b.node_id))

    assert (await client.post("/api/queue/on-a/accept", headers=headers)).status == 200
    with pytest.raises(aiohttp.WSServerHandshakeError) as elsewhere:
        await client.ws_connect("/console/audio/on-a")
    assert elsewhere.value.status == 409
    entry = await b.store.get("on-a")
    assert entry.state == "waiting" and entry.requeues == 1
    assert [e.call_id for e in await b.store.waiting()] == ["on-a", "first", "on-b"]  # back at the head

    assert (await client.post("/api/queue/on-b/accept", headers=headers)).status == 200
    with pytest.raises(aiohttp.WSServerHandshakeError) as gone:
        await client.ws_connect("/console/audio/on-b")
    assert gone.value.status == 410
    assert await b.store.get("on-b") is None
    assert [c["call_id"] for c in await b.callbacks.list()] == ["on-b"]
    assert (await b.agents.get("alice")).presence == "available"
