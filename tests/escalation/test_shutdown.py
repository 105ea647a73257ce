"""close() ends the sweeper even when the store swallows its cancellation."""

from __future__ import annotations

import asyncio
import time

from tests.escalation.helpers import open_services

from .conftest import service_args


async def test_close_ends_a_sweeper_whose_cancellation_was_swallowed(tmp_path, redis_server):
    svc = await open_services(
        **service_args("redis", tmp_path, redis_server),
        business_hours="always", answer_timeout_s=0.3, sweep_interval_s=0.05,
    )
    real_sweep = svc.sweep
    swallowed = asyncio.Event()

    async def sweep_swallowing_cancel(now=None):
        # What redis-py 4.x does when a cancel lands inside a command (redis/redis-py#2551).
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            swallowed.set()
        return await real_sweep(now)

    svc.sweep = sweep_swallowing_cancel  # type: ignore[method-assign]
    await asyncio.sleep(0.1)  # the sweeper is inside a sweep
    started = time.monotonic()
    await asyncio.wait_for(svc.close(), 10)
    assert swallowed.is_set()  # the cancellation really was lost
    assert svc._sweeper is not None and svc._sweeper.done()
    assert time.monotonic() - started < 2  # ended at the loop's next turn, not at the timeout
