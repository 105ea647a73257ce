"""Call traces: the real call core (tests/bot/call/call_rig.py, virtual clock) traced into the
OpenTelemetry SDK's in-memory exporter: one trace per call, turn spans in order with their
stages, the handoff, the call id on every span, the trace id on the call's log lines. Off, the
SDK is not even imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bot.call.state import CallState
from bot.config import TelemetrySettings
from bot.log import setup_logging
from bot.telemetry import NO_TRACE, Telemetry
from bot.telemetry_otel import OtelTelemetry
from tests.bot.call.call_rig import call_rig
from tests.bot.call.fake_dialogue import CARD_ANSWER, GREETING, PERSON
from tests.conftest import PROJECT_ROOT
from tests.fake_clock import on_virtual_clock


async def until_listening(call) -> None:
    await call.channel.until(lambda: call.session.state is CallState.LISTENING, what="listening")


def in_memory() -> tuple[OtelTelemetry, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OtelTelemetry(provider), exporter


@on_virtual_clock
async def test_a_call_is_one_trace_with_its_turns_stages_and_handoff(tmp_path: Path, capsys) -> None:
    setup_logging("INFO")
    telemetry, exporter = in_memory()
    async with call_rig(tmp_path) as rig:
        rig.services.telemetry = telemetry
        call = await rig.call()
        await call.channel.until_heard(GREETING)
        await until_listening(call)
        call.channel.say("when does my new card arrive", 1.5)
        await call.channel.until_heard(CARD_ANSWER)
        await until_listening(call)
        call.channel.say("can I talk to a person please", 1.2)
        await call.channel.until_heard(PERSON)
        await call.channel.until(lambda: call.session.holding and call.session.queued, what="queued")
        await call.channel.hang_up()
        await call.ended()
    spans = exporter.get_finished_spans()
    assert len({s.context.trace_id for s in spans}) == 1, "one call, one trace"
    assert all(s.attributes["call.id"] == call.call_id for s in spans)
    root = next(s for s in spans if s.name == "call")
    assert root.parent is None and root.attributes["call.outcome"] == "escalated"
    turns = sorted((s for s in spans if s.name.startswith("turn ")), key=lambda s: s.start_time)
    assert [s.name for s in turns] == ["turn 1", "turn 2", "turn 3"]
    assert [s.attributes["turn.intent"] for s in turns[1:]] == ["card_arrival", "request_human"]
    assert all(s.parent.span_id == root.context.span_id for s in turns)
    for turn in turns[1:]:  # the caller's spoken turns: every stage, in order, inside the turn
        stages = sorted((s for s in spans if s.parent and s.parent.span_id == turn.context.span_id),
                        key=lambda s: s.start_time)
        assert [s.name for s in stages] == ["endpointing", "recognition", "dialogue", "first_audio"]
        assert stages[0].start_time == turn.start_time and stages[-1].end_time <= turn.end_time
        assert all(a.end_time <= b.start_time + 1000 for a, b in zip(stages, stages[1:]))
    handoff = next(s for s in spans if s.name == "handoff")
    assert handoff.attributes["handoff.reason"] and handoff.start_time >= turns[2].start_time
    trace_id = format(root.context.trace_id, "032x")
    lines = [line for line in capsys.readouterr().err.splitlines() if f"[call={call.call_id}" in line]
    assert any("call started" in line for line in lines)
    started_on = [line for line in lines if "call started" in line or "call ended" in line]
    assert started_on and all(f"[call={call.call_id} trace={trace_id}]" in line for line in started_on)


@on_virtual_clock
async def test_untraced_calls_share_the_no_op_trace_and_log_no_trace_id(tmp_path: Path, capsys) -> None:
    setup_logging("INFO")
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await call.channel.until_heard(GREETING)
        assert call.session.trace is NO_TRACE
        await call.channel.hang_up()
        await call.ended()
    assert f"[call={call.call_id}] call started" in capsys.readouterr().err


def test_the_sdk_is_imported_only_when_an_endpoint_is_set() -> None:
    code = ("import sys, bot.app; from bot.telemetry import Telemetry; from bot.config import Settings; "
            "Telemetry.from_settings(Settings().telemetry); "
            "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT,
                          env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", (done.stdout, done.stderr[-2000:])
    exporting = Telemetry.from_settings(TelemetrySettings(otlp_endpoint="http://127.0.0.1:9/v1/traces"))
    assert isinstance(exporting, OtelTelemetry) and exporting.start_call("c1", "twilio").trace_id
