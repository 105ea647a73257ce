"""Prometheus metrics: per-stage turn latency, call counts and outcomes, late audio frames."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

LATENCY_BUCKETS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)


class CallMetrics:
    """The bot's metrics, on a registry of their own (one per application)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.calls_started = Counter("voicebot_calls_started", "Calls started", ["channel"], registry=r)
        self.calls_ended = Counter(
            "voicebot_calls_ended", "Calls ended, by outcome", ["channel", "outcome"], registry=r
        )
        self.calls_refused = Counter(
            "voicebot_calls_refused", "Calls turned away, by reason", ["channel", "reason"], registry=r
        )
        self.active_calls = Gauge("voicebot_active_calls", "Calls in progress", registry=r)
        self.turn_stage = Histogram(
            "voicebot_turn_stage_seconds",
            "Delay after end of caller speech was detected until each stage of the turn",
            ["stage"], buckets=LATENCY_BUCKETS, registry=r,
        )
        self.response = Histogram(
            "voicebot_response_seconds",
            "End of caller speech to first bot audio frame (includes the end-of-speech silence)",
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.barge_ins = Counter("voicebot_barge_ins", "Times callers interrupted the bot", registry=r)
        self.late_frames = Counter(
            "voicebot_late_audio_frames", "Audio frames sent more than 40 ms late", registry=r
        )
        self.frames_sent = Counter(
            "voicebot_audio_frames_sent", "Audio frames sent to callers", registry=r
        )
        self.escalations = Counter(
            "voicebot_escalations", "Handoffs to a human", ["reason", "priority"], registry=r
        )
        self.turns_read_again = Counter(
            "voicebot_turns_read_again",
            "Caller turns the NLU understood only from another reading of the speech", registry=r
        )
        self.stage_failures = Counter(
            "voicebot_stage_failures", "Failures caught at a stage boundary", ["stage"], registry=r
        )

    def watch_speech(self, audio_ms: dict[str, float]) -> None:
        """Expose the speech service's spoken audio by source ("cache", "live"), read at scrape."""
        gauge = Gauge("voicebot_speech_audio_seconds",
                      "Spoken audio since start, by where it came from (cache or live synthesis)",
                      ["source"], registry=self.registry)
        for source in audio_ms:
            gauge.labels(source).set_function(lambda source=source: audio_ms[source] / 1000)

    def observe_turn(self, stages_ms: dict[str, float | None], response_ms: float | None) -> None:
        for stage, value in stages_ms.items():
            if value is not None:
                self.turn_stage.labels(stage).observe(value / 1000)
        if response_ms is not None:
            self.response.observe(response_ms / 1000)

    async def handle(self, request: web.Request) -> web.Response:
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
