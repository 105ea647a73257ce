"""Latency stamps for one caller turn, from end of speech to the first bot audio frame."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TurnTiming:
    """Timestamps (seconds on the call's clock, monotonic) of the stages of one turn; None until reached."""

    end_silence_ms: int
    speech_end_detected: float | None = None
    final_transcript: float | None = None
    dialogue_reply: float | None = None
    first_audio_sent: float | None = None
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)  # the call's clock

    def stamp(self, stage: str) -> None:
        if getattr(self, stage) is None:
            setattr(self, stage, self.clock())

    def stages_ms(self) -> dict[str, float | None]:
        """Each stage's delay after the end of speech was detected, in milliseconds."""
        start = self.speech_end_detected
        out: dict[str, float | None] = {}
        for stage in ("final_transcript", "dialogue_reply", "first_audio_sent"):
            value = getattr(self, stage)
            out[stage] = None if start is None or value is None else round((value - start) * 1000, 1)
        return out

    def response_ms(self) -> float | None:
        """End of caller speech to first bot audio: detection delay plus our processing."""
        after = self.stages_ms()["first_audio_sent"]
        return None if after is None else round(after + self.end_silence_ms, 1)

    def as_record(self) -> dict[str, float | None]:
        record = self.stages_ms()
        record["response_ms"] = self.response_ms()
        record["end_silence_ms"] = float(self.end_silence_ms)
        return record
