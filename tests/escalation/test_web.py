"""The console and API over real HTTP and WebSockets on 127.0.0.1."""

from __future__ import annotations

import re

import aiohttp
import pytest
from aiohttp import WSMsgType, web

from escalation.context import build_context
from escalation.web import setup_escalation

from .helpers import until

PUBLIC = {("GET", "/console"), ("GET", "/console/static/{name}"), ("GET", "/api/openapi.json"),
          ("POST", "/api/login"), ("GET", "/console/analytics"), ("GET", "/console/analytics/static/{name}"),
          ("GET", "/console/review"), ("GET", "/console/review/static/{name}")}
SUPERVISOR_ONLY = {("GET", "/api/agents"), ("GET", "/api/audit"), ("POST", "/api/queue/{call_id}/requeue"),
                   ("GET", "/api/analytics"),
                   ("GET", "/api/monitor/calls"), ("GET", "/console/monitor"),
                   ("GET", "/console/monitor/static/monitor.js"), ("GET", "/console/monitor/ws"),
                   ("GET", "/console/monitor/{call_id}/audio")}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: {"name": "console.js"}.get(m.group(1), "x1"), path)


def all_routes(app: web.Application) -> set[tuple[str, str]]:
    return {(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD"}


@pytest.fixture
async def client(aiohttp_client, services):
    app = web.Application()
    setup_escalation(app, services)
    await services.agents.add("alice", "alice-password")
    await services.agents.add("sue", "sue-password", "supervisor")
    return await aiohttp_client(app)


async def login(client, name: str) -> dict:
    resp = await client.post("/api/login", json={"username": name, "password": f"{name}-password"})
    assert resp.status == 200, await resp.text()
    return {"X-CSRF-Token": (await resp.json())["csrf"]}


def ctx(call_id: str, priority: str = "normal"):
    return build_context(call_id, "+15550001", "twilio", "caller_request", priority, "check_balance",
                         0.42, {"category": "fees"}, [("caller", "my card 4111 1111 1111 1111")])


async def test_every_route_is_401_without_session_and_403_for_wrong_role(client):
    routes = all_routes(client.app)
    assert len(routes) >= 20
    for method, path in sorted(routes - PUBLIC):
        resp = await client.request(method, concrete(path), json={})
        assert resp.status == 401, (method, path, resp.status)
        assert (await resp.json())["error"] == "login required"
    page = await client.get("/console")
    assert page.status == 401 and "login-form" in await page.text()
    headers = await login(client, "alice")
    for method, path in sorted(SUPERVISOR_ONLY):
        resp = await client.request(method, concrete(path), json={}, headers=headers)
        assert resp.status == 403, (method, path)
    assert (await client.get("/console")).status == 200
    await client.post("/api/logout", headers=headers)
    headers = await login(client, "sue")
    assert (await client.get("/api/agents")).status == 200
    documented = set((await (await client.get("/api/openapi.json")).json())["paths"])
    assert documented == {p for _, p in routes if p.startswith("/api/") and p != "/api/openapi.json"}


async def test_cookie_flags_csrf_and_origin(client):
    for _ in range(5):
        bad = await client.post("/api/login", json={"username": "sue", "password": "nope-nope"})
        assert bad.status == 401
    throttled = await client.post("/api/login", json={"username": "sue", "password": "sue-password"})
    assert throttled.status == 429  # five failures: even the right password waits now
    foreign = await client.post("/api/login", json={"username": "alice", "password": "alice-password"},
                                headers={"Origin": "https://evil.example"})
    assert foreign.status == 403
    resp = await client.post("/api/login", json={"username": "alice", "password": "alice-password"})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    csrf = (await resp.json())["csrf"]
    body = {"presence": "away"}
    assert (await client.put("/api/me/presence", json=body)).status == 403
    assert (await client.put("/api/me/presence", json=body, headers={"X-CSRF-Token": "x" + csrf})).status == 403
    cross = {"X-CSRF-Token": csrf, "Origin": "http://attacker.example"}
    assert (await client.put("/api/me/presence", json=body, headers=cross)).status == 403
    ok = await client.put("/api/me/presence", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status == 200 and (await ok.json())["agent"]["presence"] == "away"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # no cross-site WebSocket
        await client.ws_connect("/console/ws", headers={"Origin": "http://attacker.example"})
    assert refused.value.status == 403
    await client.post("/api/logout", headers={"X-CSRF-Token": csrf})
    assert (await client.get("/api/me")).status == 401


async def test_live_queue_accept_audio_drop_requeue_and_wrap_up(client, services):
    headers = await login(client, "alice")
    ws = await client.ws_connect("/console/ws")
    snapshot = await ws.receive_json(timeout=5)
    assert snapshot["type"] == "snapshot" and snapshot["waiting"] == []
    assert [a["username"] for a in snapshot["agents"]] == ["alice"]  # not the others' presence
    await services.enqueue(ctx("c1"))
    await services.enqueue(ctx("u1", "urgent"))
    events = [await ws.receive_json(timeout=5) for _ in range(2)]
    assert [e["entry"]["call_id"] for e in events] == ["c1", "u1"]
    assert "[CARD ****1111]" in events[0]["entry"]["context"]["transcript"][0]["text"]
    queue = await (await client.get("/api/queue")).json()
    assert [e["call_id"] for e in queue["waiting"]] == ["u1", "c1"]

    assert (await client.post("/api/queue/c1/accept", headers=headers)).status == 200
    assert (await client.post("/api/queue/c1/accept", headers=headers)).status == 409
    audio = await client.ws_connect("/console/audio/c1")
    hello = await audio.receive_json(timeout=5)
    assert hello == {"type": "audio", "sample_rate": 16000, "bridged": False}
    assert (await services.store.get("c1")).state == "connected"
    await audio.close()  # the agent's browser drops: the call goes back to the head
    await until(lambda: services.store.get("c1"), lambda e: e.state == "waiting")
    assert [e.call_id for e in await services.store.waiting()] == ["u1", "c1"]

    assert (await client.post("/api/queue/c1/accept", headers=headers)).status == 200
    audio = await client.ws_connect("/console/audio/c1")
    await audio.receive_json(timeout=5)
    resp = await client.post("/api/queue/c1/wrap-up", headers=headers,
                             json={"notes": "sorted", "disposition": "resolved"})
    assert resp.status == 200 and (await resp.json())["disposition"] == "resolved"
    msg = await audio.receive(timeout=5)
    assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)  # the server ends the agent's audio
    assert await services.store.get("c1") is None
    kinds = set()
    while "removed" not in kinds:
        kinds.add((await ws.receive_json(timeout=5))["type"])
    await ws.close()


async def test_tickets_and_callbacks_api(client, services):
    headers = await login(client, "alice")
    await services.create_ticket({"category": "fees", "description": "double charge", "reference": "C-9"})
    await services.create_ticket({"category": "card", "description": "card not arrived"})
    await services.enqueue(ctx("n1"))
    await services.request_callback("n1")
    tickets = (await (await client.get("/api/tickets?category=fees")).json())["tickets"]
    assert [t["reference"] for t in tickets] == ["C-9"]
    resp = await client.patch("/api/tickets/C-9", json={"status": "in_progress"}, headers=headers)
    assert resp.status == 200
    assert (await client.patch("/api/tickets/C-9", json={"status": "nope"}, headers=headers)).status == 400
    assert (await client.patch("/api/tickets/C-404", json={"status": "open"}, headers=headers)).status == 404
    csv_resp = await client.get("/api/tickets.csv?status=in_progress")
    lines = (await csv_resp.text()).splitlines()
    assert csv_resp.content_type == "text/csv" and len(lines) == 2 and lines[1].startswith("C-9,in_progress,fees")
    callbacks = (await (await client.get("/api/callbacks?status=open")).json())["callbacks"]
    assert len(callbacks) == 1 and callbacks[0]["number"] == "+15550001"
    cb_id = callbacks[0]["id"]
    assert (await client.patch(f"/api/callbacks/{cb_id}", json={"status": "done"}, headers=headers)).status == 200
    assert "done" in await (await client.get("/api/callbacks.csv")).text()


async def test_caller_gone_when_agent_answers_becomes_a_callback(client, services):
    from .fake_call_control import FakeCallControl

    services.call_control = FakeCallControl()
    services.call_control.gone.add("g1")
    headers = await login(client, "alice")
    await services.enqueue(ctx("g1"))
    assert (await client.post("/api/queue/g1/accept", headers=headers)).status == 200
    with pytest.raises(aiohttp.WSServerHandshakeError) as gone:
        await client.ws_connect("/console/audio/g1")
    assert gone.value.status == 410
    assert await services.store.get("g1") is None
    callbacks = await services.callbacks.list()
    assert [c["call_id"] for c in callbacks] == ["g1"] and callbacks[0]["number"] == "+15550001"
    assert (await services.agents.get("alice")).presence == "available"


async def test_every_state_change_needs_the_csrf_token_and_calls_are_per_agent(client, services):
    await services.agents.add("bob", "bob-password")
    changing = sorted((m, p) for m, p in all_routes(client.app)
                      if m not in ("GET", "HEAD") and (m, p) not in PUBLIC)
    assert len(changing) == 14
    await services.agents.add("dana", "dana-password", "designer")
    for who in ("sue", "dana"):  # a supervisor, a designer: the role passes, only the token is missing
        await login(client, who)
        for method, path in changing:
            if path.startswith("/api/review/") != (who == "dana"):
                continue
            resp = await client.request(method, concrete(path), json={})
            assert resp.status == 403, (method, path, resp.status)
            assert "X-CSRF-Token" in (await resp.json())["error"]
        await client.post("/api/logout", headers=await login(client, who))

    alice = await login(client, "alice")
    await services.enqueue(ctx("held"))
    assert (await client.post("/api/queue/held/accept", headers=alice)).status == 200
    await client.post("/api/logout", headers=alice)
    bob = await login(client, "bob")
    for action in ("hang-up", "hand-back", "wrap-up"):
        resp = await client.post(f"/api/queue/held/{action}", json={}, headers=bob)
        assert resp.status == 403, (action, resp.status)
    with pytest.raises(aiohttp.WSServerHandshakeError) as theirs:  # nor take over alice's audio
        await client.ws_connect("/console/audio/held")
    assert theirs.value.status == 403
    assert (await services.store.get("held")).agent_id == "alice"
