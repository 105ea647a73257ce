"""The Review page's routes over real HTTP: designers only, CSRF, labels audited, model
changes refused when there is nothing to change; 503 until the bot has set the desk."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from bot.call.records import CallRecords
from bot.config import Settings
from bot.recording.desk import RecordingDesk
from bot.review.desk import ReviewDesk
from escalation.review_web import REVIEW_KEY
from escalation.web import setup_escalation
from tests.small_project import small_project

from .test_web import login


@pytest.fixture
async def client(aiohttp_client, tmp_path: Path):
    from tests.escalation.helpers import open_services

    services = await open_services(store="sqlite", sqlite_path=tmp_path / "esc.sqlite3", business_hours="always")
    settings = Settings(nlu={"project_dir": str(small_project(tmp_path / "nlu")),
                             "model_dir": str(tmp_path / "rasa")},
                        review={"candidates_dir": str(tmp_path / "cand"), "history_dir": str(tmp_path / "hist")})
    records = await CallRecords(tmp_path / "calls.db").open()
    await records.call_started("CA1", "twilio", "+15550100")
    await records.turn("CA1", 2, "text", "the machine kept my card", "nlu_fallback", 0.4, ["Sorry?"], None, {})
    app = web.Application()
    setup_escalation(app, services)
    for name, role in (("alice", "agent"), ("sue", "supervisor"), ("dana", "designer")):
        await services.agents.add(name, f"{name}-password", role)
    client = await aiohttp_client(app)
    client.services, client.records = services, records
    client.desk = ReviewDesk(settings, records, services.store, RecordingDesk.off(), engine=None)
    yield client
    await records.close()
    await services.close()


async def test_only_designers_review(client) -> None:
    assert (await client.get("/console/review")).status == 401
    for name in ("alice", "sue"):
        headers = await login(client, name)
        assert (await client.get("/console/review")).status == 403
        assert (await client.get("/api/review/turns")).status == 403
        await client.post("/api/logout", headers=headers)
    await login(client, "dana")
    assert (await client.get("/api/review/turns")).status == 503  # the bot has not set the desk yet
    client.app[REVIEW_KEY] = client.desk
    page = await client.get("/console/review")
    assert page.status == 200 and "review.js" in await page.text()
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    found = await (await client.get("/api/review/turns")).json()
    assert [i["key"] for i in found["items"]] == ["CA1#2"] and "card_arrival" in found["labels"]
    assert (await client.get("/api/review/turns?from=2020-02-30")).status == 400
    assert (await client.get("/api/review/turns/CA1/2/audio")).status == 404  # not recorded


async def test_a_label_needs_the_token_a_known_intent_and_is_audited(client) -> None:
    client.app[REVIEW_KEY] = client.desk
    headers = await login(client, "dana")
    body = {"call_id": "CA1", "idx": 2, "intent": "card_swallowed"}
    assert (await client.post("/api/review/labels", json=body)).status == 403  # no CSRF token
    assert (await client.post("/api/review/labels", json={**body, "intent": "rm -rf"}, headers=headers)).status == 400
    assert (await client.post("/api/review/labels", json={**body, "idx": 5}, headers=headers)).status == 404
    resp = await client.post("/api/review/labels", json=body, headers=headers)
    assert resp.status == 200 and (await resp.json())["added"] is True
    assert "the machine kept my card" in (client.desk.project_dir / "data/nlu/reviewed/card_swallowed.yml").read_text()
    entries = await client.services.audit.entries()
    assert entries[0]["action"] == "review_label" and entries[0]["who"] == "dana"
    for action in ("promote", "discard", "rollback"):
        resp = await client.post(f"/api/review/models/{action}", json={}, headers=headers)
        assert resp.status == 409, action
    status = await (await client.get("/api/review/models")).json()
    assert status["live"] is None and status["candidate"] is None and status["training"]["state"] == "idle"
