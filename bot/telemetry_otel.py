"""Call traces with the OpenTelemetry SDK (imported only when `telemetry.otlp_endpoint` is set).

Turn stages are known only once the turn is over (the latency marks of bot/call/turn_timing.py),
so their spans are made afterwards with explicit start and end times: marks on the call's clock
(monotonic) become wall-clock nanoseconds from one anchor taken when the call's trace starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from bot.call.turn_timing import TurnTiming
from bot.telemetry import CallTrace, Telemetry

# Child spans of a turn: (name, from mark, to mark); "speech_end" is the caller's end of
# speech, end_silence_ms before the endpointer detected it.
STAGES = (("endpointing", "speech_end", "speech_end_detected"),
          ("recognition", "speech_end_detected", "final_transcript"),
          ("dialogue", "final_transcript", "dialogue_reply"),
          ("first_audio", "dialogue_reply", "first_audio_sent"))


class OtelCallTrace(CallTrace):
    def __init__(self, tracer: trace.Tracer, call_id: str, channel: str, clock: Callable[[], float]) -> None:
        self.tracer = tracer
        self.clock = clock
        self._anchor = (time.time_ns(), clock())
        self.root = tracer.start_span("call", attributes={"call.id": call_id, "call.channel": channel},
                                      start_time=self._anchor[0])
        self.context = trace.set_span_in_context(self.root)
        self.trace_id = format(self.root.get_span_context().trace_id, "032x")
        self.call_id = call_id

    def wall_ns(self, mark: float) -> int:
        """A mark on the call's clock as epoch nanoseconds."""
        return self._anchor[0] + int((mark - self._anchor[1]) * 1e9)

    def turn(self, index: int, kind: str, intent: str | None, timing: TurnTiming | None,
             started_at: float | None) -> None:
        marks = _marks(timing)
        start = marks.get("speech_end") or started_at or self.clock()
        attributes = {"call.id": self.call_id, "turn.index": index, "turn.kind": kind,
                      "turn.intent": intent or ""}
        if timing is not None and timing.response_ms() is not None:
            attributes["turn.response_ms"] = timing.response_ms()
        span = self.tracer.start_span(f"turn {index}", context=self.context, attributes=attributes,
                                      start_time=self.wall_ns(start))
        parent = trace.set_span_in_context(span)
        for name, begin, end in STAGES:
            if marks.get(begin) is not None and marks.get(end) is not None:
                child = self.tracer.start_span(name, context=parent, start_time=self.wall_ns(marks[begin]),
                                               attributes={"call.id": self.call_id})
                child.end(end_time=self.wall_ns(marks[end]))
        span.end(end_time=self.wall_ns(self.clock()))

    def handoff(self, reason: str, priority: str, started_at: float) -> None:
        span = self.tracer.start_span("handoff", context=self.context, start_time=self.wall_ns(started_at),
                                      attributes={"call.id": self.call_id, "handoff.reason": reason,
                                                  "handoff.priority": priority})
        span.end(end_time=self.wall_ns(self.clock()))

    def event(self, name: str, **attributes: Any) -> None:
        self.root.add_event(name, attributes=attributes, timestamp=self.wall_ns(self.clock()))

    def end(self, outcome: str, end_reason: str) -> None:
        self.root.set_attributes({"call.outcome": outcome, "call.end_reason": end_reason})
        self.root.end(end_time=self.wall_ns(self.clock()))


def _marks(timing: TurnTiming | None) -> dict[str, float | None]:
    if timing is None or timing.speech_end_detected is None:
        return {}
    return {"speech_end": timing.speech_end_detected - timing.end_silence_ms / 1000,
            "speech_end_detected": timing.speech_end_detected,
            "final_transcript": timing.final_transcript, "dialogue_reply": timing.dialogue_reply,
            "first_audio_sent": timing.first_audio_sent}


class OtelTelemetry(Telemetry):
    """Traces through an SDK tracer provider (its own, not the process-global one)."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("voicebot.call")

    @classmethod
    def to_collector(cls, endpoint: str, service_name: str) -> OtelTelemetry:
        """Batches of spans to an OTLP/HTTP collector, sent off the event loop by the SDK's thread."""
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        return cls(provider)

    def start_call(self, call_id: str, channel: str,
                   clock: Callable[[], float] = time.monotonic) -> CallTrace:
        return OtelCallTrace(self.tracer, call_id, channel, clock)

    async def close(self) -> None:
        await asyncio.to_thread(self.provider.shutdown)
