"""The runtime settings that keep the event loop on time are applied."""

from __future__ import annotations

import gc
import sys

from bot.loop_latency import freeze_startup_heap, tune_for_realtime_audio


def test_start_up_objects_leave_the_collector() -> None:
    before = gc.get_freeze_count()
    survivors = [[i] for i in range(1000)]  # lists: objects the collector tracks
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() >= before + len(survivors)
        tracked = {id(x) for x in gc.get_objects()}  # the generations a collection walks
        assert not any(id(x) in tracked for x in survivors)
    finally:
        gc.unfreeze()


def test_the_gil_is_handed_over_more_often_than_cpython_default() -> None:
    default = sys.getswitchinterval()
    try:
        tune_for_realtime_audio(0.001)
        assert sys.getswitchinterval() == 0.001 < 0.005
    finally:
        sys.setswitchinterval(default)
