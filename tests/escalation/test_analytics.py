"""`/api/analytics` over real HTTP: its numbers against direct SQL on the seeded files."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import numpy as np
import pytest

from bot.call.records import CallRecords
from escalation.context import build_context
from tests.escalation.helpers import api_session

from .analytics_rig import analytics_rig, epoch, sql

WINDOW = {"from": "2026-11-02", "to": "2026-11-04"}
START, END = epoch(2026, 11, 2), epoch(2026, 11, 5)


@pytest.fixture
async def rig(tmp_path: Path):
    async with analytics_rig(tmp_path) as rig:
        yield rig


def where(channel: str | None) -> tuple[str, tuple]:
    clause = "c.started_at >= ? AND c.started_at < ?" + (" AND c.channel = ?" if channel else "")
    return clause, (START, END, channel) if channel else (START, END)


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1)


async def report(rig, **params: str) -> dict:
    async with api_session(rig.base_url, "sue", "sue-password") as api:
        return await api.get("/api/analytics?" + "&".join(f"{k}={v}" for k, v in params.items()))


@pytest.mark.parametrize("channel", [None, "twilio", "browser"])
async def test_call_numbers_match_direct_sql_counts(rig, channel: str | None) -> None:
    data = await report(rig, **WINDOW, **({"channel": channel} if channel else {}))
    clause, args = where(channel)
    db = rig.calls_db
    outcomes = dict(sql(db, f"SELECT COALESCE(outcome, 'unfinished'), COUNT(*) FROM calls c WHERE {clause} "
                            "GROUP BY 1", args))
    summary = data["summary"]
    assert summary["calls"] == sum(outcomes.values()) > 20
    for outcome in ("contained", "escalated", "abandoned", "unfinished"):
        assert summary[outcome] == outcomes.get(outcome, 0), outcome
    assert summary["escalated_rate"] == round(outcomes["escalated"] / summary["calls"], 4)
    # The edges: the first instant of the window is in, the first after it out.
    ids = {row[0] for row in sql(db, f"SELECT call_id FROM calls c WHERE {clause}", args)}
    if channel in (None, "browser"):
        assert {"EDGE-in-start", "EDGE-in-end"} <= ids and not ids & {"EDGE-out-end", "EDGE-out-start"}

    started = [row[0] for row in sql(db, f"SELECT started_at FROM calls c WHERE {clause}", args)]
    per_hour = Counter(datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:00Z") for t in started)
    assert len(data["calls_per_hour"]) == 72
    assert {h["hour"]: h["calls"] for h in data["calls_per_hour"] if h["calls"]} == dict(per_hour)
    per_day = Counter((datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d")) for t in started)
    assert [d["day"] for d in data["outcomes_per_day"]] == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert {d["day"]: d["contained"] + d["escalated"] + d["abandoned"] + d["unfinished"]
            for d in data["outcomes_per_day"]} == {d: per_day.get(d, 0) for d in per_day}

    reasons = sql(db, "SELECT json_extract(e.detail, '$.reason'), COUNT(*) FROM calls c JOIN events e "
                      f"ON e.call_id = c.call_id WHERE e.kind = 'handoff' AND {clause} GROUP BY 1", args)
    assert {r["reason"]: r["count"] for r in data["escalation_reasons"]} == dict(reasons)

    intents = dict(sql(db, "SELECT COALESCE(t.intent, '(none)'), COUNT(*) FROM calls c JOIN turns t "
                           f"ON t.call_id = c.call_id WHERE t.input_kind IN ('text', 'digits') AND {clause} "
                           "GROUP BY 1", args))
    assert summary["caller_turns"] == sum(intents.values())
    assert summary["fallback_turns"] == intents.get("nlu_fallback", 0) + intents.get("(none)", 0) > 0
    top = sorted(intents.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(i["intent"], i["count"]) for i in data["top_intents"]] == top

    latencies = [json.loads(row[0])["response_ms"] for row in sql(
        db, f"SELECT t.latency FROM calls c JOIN turns t ON t.call_id = c.call_id WHERE {clause}", args)
        if "response_ms" in json.loads(row[0])]
    assert summary["latency_turns"] == len(latencies)
    # Percentiles come from 10 ms bins counted in SQL: within a bin of the values the exact
    # percentile lies between.
    ordered = sorted(latencies)
    for q in (50, 95):
        k = int((len(ordered) - 1) * q / 100)
        low, high = ordered[k] - 10, ordered[min(k + 1, len(ordered) - 1)] + 10
        assert low <= summary[f"latency_p{q}_ms"] <= high, (q, pct(latencies, q))
    assert sum(d["turns"] for d in data["latency_per_day"]) == len(latencies)


@pytest.mark.parametrize("channel", [None, "audiosocket"])
async def test_queue_and_handle_time_match_the_store_records(rig, channel: str | None) -> None:
    data = await report(rig, **WINDOW, **({"channel": channel} if channel else {}))

    def records(kind: str) -> list[dict]:
        rows = sql(rig.store_db, "SELECT data FROM records WHERE kind = ? AND created_at >= ? "
                                 "AND created_at < ?", (kind, START, END))
        found = [json.loads(r[0]) for r in rows]
        return [r for r in found if not channel or r["channel"] == channel]

    wrapups, abandoned = records("wrapup"), records("abandoned")
    assert wrapups and abandoned
    waits = [r["created_at"] - r["handle_s"] - r["enqueued_at"] for r in wrapups]
    summary = data["summary"]
    assert summary["queue_answered"] == len(wrapups)
    assert summary["queue_abandoned"] == len(abandoned)
    assert summary["queue_abandon_rate"] == round(len(abandoned) / (len(wrapups) + len(abandoned)), 4)
    assert summary["queue_wait_p50_s"] == pct(waits, 50)
    assert summary["abandoned_wait_p50_s"] == pct([r["wait_s"] for r in abandoned], 50)
    assert summary["handle_time_p50_s"] == pct([r["handle_s"] for r in wrapups], 50)
    assert sum(d["answered"] for d in data["queue_per_day"]) == len(wrapups)
    per_agent = Counter(r["agent"] for r in wrapups)
    assert {a["agent"]: a["calls"] for a in data["handle_time_per_agent"]} == dict(per_agent)


async def test_csv_holds_the_numbers_of_the_json(rig) -> None:
    data = await report(rig, **WINDOW, channel="twilio")
    async with api_session(rig.base_url, "sue", "sue-password") as api:
        resp = await api.http.get("/api/analytics?from=2026-11-02&to=2026-11-04&channel=twilio&format=csv")
        assert resp.status == 200 and resp.content_type == "text/csv"
        assert "analytics-2026-11-02-2026-11-04-twilio.csv" in resp.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
        audit = await api.get("/api/audit")
    assert any(e["action"] == "export" for e in audit["entries"])
    by_key = {(r["section"], r["key"], r["metric"]): r["value"] for r in rows}
    expected = {("window", "", k): v for k, v in data["window"].items()}
    expected |= {("summary", "", k): v for k, v in data["summary"].items()}
    for section, items in data.items():
        if isinstance(items, list) and items and isinstance(items[0], dict):
            for item in items:
                key_field, *metrics = list(item)
                expected |= {(section, str(item[key_field]), m): item[m] for m in metrics}
    assert set(by_key) == set(expected)
    for key, value in expected.items():
        text = by_key[key]
        if value is None:
            assert text == "", key
        elif isinstance(value, (int, float)):
            assert float(text) == value, key
        else:
            assert text == value, key


async def test_filter_errors_agents_and_no_session(rig) -> None:
    async with api_session(rig.base_url, "sue", "sue-password") as api:
        for query, why in (("from=2026-11-05&to=2026-11-01", "after"), ("from=yesterday", "YYYY-MM-DD"),
                           ("from=2024-01-01&to=2026-11-01", "366")):
            resp = await api.http.get(f"/api/analytics?{query}")
            assert resp.status == 400 and why in (await resp.json())["error"], query
        assert (await api.http.get("/console/analytics")).status == 200
        default = await api.get("/api/analytics")
        days = [d["day"] for d in default["outcomes_per_day"]]
        assert len(days) == 7 and days[-1] == datetime.now(timezone.utc).strftime("%Y-%m-%d")
    async with api_session(rig.base_url, "alice", "alice-password") as api:
        assert (await api.http.get("/api/analytics")).status == 403
        assert (await api.http.get("/api/analytics?format=csv")).status == 403
        page = await api.http.get("/console/analytics")
        assert page.status == 403 and "supervisors" in await page.text()
    async with aiohttp.ClientSession(rig.base_url) as http:
        assert (await http.get("/api/analytics")).status == 401
        page = await http.get("/console/analytics")
        assert page.status == 401 and "login-form" in await page.text()
        chart = await http.get("/console/analytics/static/chart.umd.min.js")
        assert chart.status == 200 and b"Chart.js v4" in (await chart.read())[:200]
        licence = await http.get("/console/analytics/static/chart.js.LICENSE.md")
        assert "MIT License" in await licence.text()
        assert (await http.get("/console/analytics/static/..%2Fweb.py")).status == 404


async def test_live_records_reach_the_report(rig, tmp_path: Path) -> None:
    """What the running bot writes (a call record's turns, a queue abandonment, an agent's
    wrap-up) is what the report counts, today."""
    records = await CallRecords(rig.calls_db).open()
    try:
        await records.call_started("LIVE-1", "twilio", "+15550111")
        await records.turn("LIVE-1", 1, "text", "my card has not arrived", "card_arrival", 0.93,
                           ["Cards arrive within a week."], None, {"response_ms": 1234.5})
        await records.event("LIVE-1", "handoff", reason="live_reason", priority="normal")
        await records.call_ended("LIVE-1", "escalated", "caller_hangup")
    finally:
        await records.close()
    services = rig.services
    await services.enqueue(build_context("LIVE-1", "+15550111", "twilio", "live_reason", "normal",
                                         "card_arrival", 0.93, {}, []))
    await services.abandon("LIVE-1")
    await services.enqueue(build_context("LIVE-2", "+15550112", "twilio", "live_reason", "normal",
                                         "card_arrival", 0.93, {}, []))
    sue = await services.agents.get("sue")
    await services.accept("LIVE-2", sue)
    await services.answered("LIVE-2", sue)
    await services.wrap_up("LIVE-2", sue, "done")
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    data = await report(rig, **{"from": today, "to": today, "channel": "twilio"})
    assert data["summary"]["calls"] == 1 and data["summary"]["escalated"] == 1
    assert data["escalation_reasons"] == [{"reason": "live_reason", "count": 1}]
    assert 1230 <= data["summary"]["latency_p50_ms"] <= 1240  # one turn: its 10 ms bin
    assert data["summary"]["queue_abandoned"] == 1 and data["summary"]["queue_answered"] == 1
    assert data["handle_time_per_agent"][0]["agent"] == "sue"
    other = await report(rig, **{"from": today, "to": today, "channel": "browser"})
    assert other["summary"]["queue_abandoned"] == 0 and other["summary"]["calls"] == 0
