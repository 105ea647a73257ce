"""Admission by headroom: the load signals over a sliding window, on an injected clock."""

from __future__ import annotations

import asyncio
import time

from bot.headroom import Headroom, HeadroomLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make() -> tuple[Headroom, Clock]:
    clock = Clock()
    return Headroom(HeadroomLimits(max_loop_lag_ms=40, max_late_frame_pct=0.1,
                                   max_final_delay_ms=300, window_s=10), clock), clock


def test_a_machine_that_keeps_up_takes_calls() -> None:
    headroom, _ = make()
    assert headroom.overloaded() is None  # nothing measured yet
    for _ in range(100):
        headroom.note_loop_lag(3.0)
    headroom.note_playback(5000, 2)  # 0.04 % late
    for ms in (120, 150, 90, 200, 180, 160):
        headroom.note_final_delay(ms)
    assert headroom.overloaded() is None


def test_loop_lag_of_the_start_up_is_forgotten() -> None:
    headroom, _ = make()
    for _ in range(20):
        headroom.note_loop_lag(400.0)  # models loading, prompts rendering
    assert headroom.overloaded() is not None
    headroom.forget_startup()
    for _ in range(100):
        headroom.note_loop_lag(3.0)
    assert headroom.overloaded() is None


async def test_a_tick_begun_during_the_start_up_is_not_counted() -> None:
    # The heap freeze blocks the loop while watch_loop's sleep is pending: that late wake-up
    # lands after forget_startup() and, counted, turned the first callers away.
    headroom = Headroom(HeadroomLimits(max_loop_lag_ms=40, window_s=10))
    watch = asyncio.create_task(headroom.watch_loop())
    await asyncio.sleep(0.12)
    time.sleep(0.3)  # noqa: ASYNC251 - the blocking start-up step, on purpose
    headroom.forget_startup()
    await asyncio.sleep(0.3)
    watch.cancel()
    assert len(headroom._lags) >= 2
    assert headroom.overloaded() is None, headroom.readings()


def test_each_signal_over_its_limit_says_why() -> None:
    lag, _ = make()
    for n in range(100):
        lag.note_loop_lag(80.0 if n % 10 == 0 else 2.0)  # 10 % of wake-ups 80 ms late
    assert "event loop lag" in lag.overloaded()
    late, _ = make()
    late.note_playback(1000, 5)
    assert "late audio frames 0.50 %" in late.overloaded()
    slow, _ = make()
    for ms in (150, 900, 950, 1000, 1200):
        slow.note_final_delay(ms)
    assert "final transcripts p90" in slow.overloaded()


def test_few_final_transcripts_say_nothing_and_old_readings_expire() -> None:
    headroom, clock = make()
    for _ in range(4):
        headroom.note_final_delay(2000)
    assert headroom.overloaded() is None  # four slow turns are not yet a trend
    headroom.note_playback(100, 50)
    assert headroom.overloaded() is not None
    clock.now += 11  # past the window: the overload is over
    assert headroom.overloaded() is None


async def test_the_loop_watch_measures_real_wake_up_delays() -> None:
    headroom = Headroom(HeadroomLimits(max_loop_lag_ms=40))
    task = asyncio.create_task(headroom.watch_loop())
    await asyncio.sleep(0.3)
    time.sleep(0.2)  # block the loop as a CPU-bound call would  # noqa: ASYNC251
    await asyncio.sleep(0.1)
    task.cancel()
    readings = headroom.readings()
    assert readings["loop_lag_p95_ms"] >= 100, readings


def test_overload_sets_a_ceiling_below_the_calls_that_caused_it() -> None:
    headroom, clock = make()
    assert headroom.refusal(5) is None and headroom.ceiling is None  # nothing learned yet
    headroom.note_playback(1000, 10)  # overloaded with 14 calls running
    assert "late audio frames" in headroom.refusal(14)
    assert headroom.ceiling == 13
    clock.now += 11  # the window has passed; the overload readings expired
    assert headroom.refusal(12) is None  # below the ceiling
    assert headroom.refusal(13) is None and headroom.ceiling == 14  # a quiet window: one more
    assert "carried without overload" in headroom.refusal(14)  # the rest of a burst waits


def test_the_ceiling_rises_one_call_per_quiet_window_and_falls_while_overload_lasts() -> None:
    headroom, clock = make()
    headroom.note_playback(1000, 10)
    headroom.refusal(10)
    assert headroom.ceiling == 9
    clock.now += 5
    headroom.note_playback(1000, 10)
    headroom.refusal(9)
    assert headroom.ceiling == 9  # at most one step per window
    clock.now += 6
    headroom.refusal(9)
    assert headroom.ceiling == 8  # a window later still overloaded: one call fewer
    clock.now += 11  # quiet now
    assert headroom.refusal(8) is None and headroom.ceiling == 9  # a quiet window: one more
    assert headroom.refusal(9) is not None  # the next step waits another window
    clock.now += 10
    assert headroom.refusal(9) is None and headroom.ceiling == 10
