"""Turn timing: stages measured from detected end of speech; response adds the end silence."""

from __future__ import annotations

from bot.call.turn_timing import TurnTiming


def test_stages_and_response() -> None:
    timing = TurnTiming(end_silence_ms=500)
    timing.speech_end_detected = 10.0
    timing.final_transcript = 10.05
    timing.dialogue_reply = 10.08
    timing.first_audio_sent = 10.2
    stages = timing.stages_ms()
    assert stages == {"final_transcript": 50.0, "dialogue_reply": 80.0, "first_audio_sent": 200.0}
    assert timing.response_ms() == 700.0


def test_stamp_keeps_the_first_time() -> None:
    timing = TurnTiming(end_silence_ms=500)
    timing.stamp("first_audio_sent")
    first = timing.first_audio_sent
    timing.stamp("first_audio_sent")
    assert timing.first_audio_sent == first


def test_unreached_stages_are_none() -> None:
    timing = TurnTiming(end_silence_ms=300)
    timing.speech_end_detected = 1.0
    assert timing.response_ms() is None
    assert timing.as_record()["first_audio_sent"] is None
