"""The worker's decoder set with a real pocketsphinx factory: a burst of calls keeps its
decoders for the next burst instead of building one per call."""

from __future__ import annotations

from stt.factory import RecognizerFactory
from stt.recognizer_worker import Decoders


def test_decoders_of_a_burst_are_kept_up_to_max_idle_and_reused() -> None:
    decoders = Decoders(RecognizerFactory("pocketsphinx", None, None), warm=1, warm_rate=8000, max_idle=4)
    decoders.warm_one()
    for stream in range(6):
        decoders.open(stream, 8000)
    burst = {id(r) for r in decoders.streams.values()}
    assert len(burst) == 6
    for stream in range(6):
        decoders.close(stream)
    assert len(decoders.idle[8000]) == 4  # the peak was 6, capped at max_idle
    for stream in range(10, 14):
        decoders.open(stream, 8000)
    assert {id(r) for r in decoders.streams.values()} <= burst  # nothing was built
    assert decoders.idle[8000] == []


def test_one_call_at_a_time_keeps_only_the_warm_decoders() -> None:
    decoders = Decoders(RecognizerFactory("pocketsphinx", None, None), warm=1, warm_rate=8000, max_idle=8)
    decoders.warm_one()
    for stream in range(3):
        decoders.open(stream, 8000)
        decoders.idle.setdefault(8000, []).append(decoders.factory.create(8000))  # a spare built meanwhile
        decoders.close(stream)
    assert len(decoders.idle[8000]) == 1  # peak 1, warm 1: with a spare idle, the closed one goes
