"""Call traces: one trace per call, a span per turn with its stages, and the handoff.

Off unless `telemetry.otlp_endpoint` is set: then `bot/telemetry_otel.py` (the OpenTelemetry
SDK and its OTLP/HTTP exporter) is imported and every call gets a `CallTrace`. Off, every call
shares `NO_TRACE`, whose methods do nothing, and the SDK is never imported.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.config import TelemetrySettings

if TYPE_CHECKING:
    from bot.call.turn_timing import TurnTiming

log = logging.getLogger(__name__)


class CallTrace:
    """One call's trace; this base class is the disabled one (no spans, no trace id)."""

    trace_id = ""

    def turn(self, index: int, kind: str, intent: str | None, timing: TurnTiming | None,
             started_at: float | None) -> None:
        """A finished turn: its span from `started_at` (on the call's clock; the caller's end
        of speech when `timing` has it) to now, with the stages `timing` stamped as child spans."""

    def handoff(self, reason: str, priority: str, started_at: float) -> None:
        """The handoff desk finished taking the call (queued, transferred or told)."""

    def event(self, name: str, **attributes: Any) -> None:
        """A moment in the call (an agent took it, the caller was handed back)."""

    def end(self, outcome: str, end_reason: str) -> None:
        """The call is over: the trace's root span ends."""


NO_TRACE = CallTrace()


class Telemetry:
    """Makes each call's trace; disabled unless built from settings with an endpoint."""

    def start_call(self, call_id: str, channel: str,
                   clock: Callable[[], float] = time.monotonic) -> CallTrace:
        """The trace of a call whose marks are read on `clock` (the call services' clock)."""
        return NO_TRACE

    async def close(self) -> None:
        """Send what is still buffered (the enabled kind) and stop."""

    @staticmethod
    def from_settings(settings: TelemetrySettings) -> Telemetry:
        if not settings.otlp_endpoint:
            return Telemetry()
        from bot.telemetry_otel import OtelTelemetry  # the SDK only when tracing is wanted

        log.info("call traces go to %s", settings.otlp_endpoint)
        return OtelTelemetry.to_collector(settings.otlp_endpoint, settings.service_name)
