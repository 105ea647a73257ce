"""Call traces leave a real `voicebot serve` for a collector: a real call over the Twilio
protocol, the server configured with `telemetry.otlp_endpoint` pointing at an OTLP/HTTP
receiver in this test (aiohttp, decoding the protobuf export requests), and the server's log."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bot.caller.twilio_client import TwilioCaller
from bot.caller.voices import speak
from tests.e2e.conftest import start_e2e_server
from tests.escalation.helpers import until

pytestmark = pytest.mark.slow


async def test_a_real_call_exports_one_trace_and_logs_its_id(tmp_path) -> None:
    spans: list = []

    async def receive(request: web.Request) -> web.Response:
        export = ExportTraceServiceRequest.FromString(await request.read())
        for resource in export.resource_spans:
            for scope in resource.scope_spans:
                spans.extend(scope.spans)
        return web.Response(content_type="application/x-protobuf", body=b"")

    collector = web.Application()
    collector.router.add_post("/v1/traces", receive)
    runner = web.AppRunner(collector)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    server = await asyncio.to_thread(start_e2e_server, tmp_path, {
        "VOICEBOT_TELEMETRY__OTLP_ENDPOINT": f"http://127.0.0.1:{port}/v1/traces"})
    try:
        async with TwilioCaller(server.ws_url, caller="+15550142041") as call:
            await call.listen(timeout_s=30)
            await call.say_pcm(speak("when will my new card arrive"))
            assert (await call.listen(timeout_s=20)).audio, "no answer"
            sid = call.log.call_sid
            await call.hangup()

        def attribute(span, key: str):
            return next((a.value.string_value for a in span.attributes if a.key == key), None)

        def call_spans():
            return [s for s in spans if attribute(s, "call.id") == sid]

        async def ended() -> list:
            return call_spans()

        mine = await until(ended, lambda found: any(s.name == "call" for s in found), timeout=15)
        names = [s.name for s in sorted(mine, key=lambda s: s.start_time_unix_nano)]
        assert names[0] == "call" and "turn 1" in names and "turn 2" in names, names
        assert {"endpointing", "recognition", "dialogue", "first_audio"} <= set(names), names
        assert len({s.trace_id for s in mine}) == 1
        trace_id = mine[0].trace_id.hex()
        log = server.log_path.read_text()
        assert f"[call={sid} trace={trace_id}] call started" in log
        assert time.time_ns() - mine[0].start_time_unix_nano < 120e9  # wall-clock times, not monotonic
    finally:
        await asyncio.to_thread(server.stop)
        await runner.cleanup()
