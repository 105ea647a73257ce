"""Worker roles: a first chunk always finds a worker; later chunks wait for the others."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tts.job_queue import FIRST_CHUNK, PRERENDER, Job, JobQueue
from tts.pool import PooledSynthesizer
from tts.synthesizer import TtsError, VoiceParams


def _job(priority: int, seq: int) -> Job:
    return Job(priority, seq, f"text {seq}", None, asyncio.get_running_loop().create_future())


async def test_the_first_chunk_worker_never_takes_a_later_chunk_and_others_take_the_lowest() -> None:
    queue = JobQueue()
    queue.put_nowait(_job(PRERENDER, 1))
    queue.put_nowait(_job(2, 2))
    first_only = asyncio.ensure_future(queue.get(first_chunks_only=True))
    await asyncio.sleep(0.01)
    assert not first_only.done()  # a later chunk waits at the head: not for it
    queue.put_nowait(_job(FIRST_CHUNK, 3))
    assert (await asyncio.wait_for(first_only, 1)).seq == 3
    assert (await queue.get()).seq == 2
    # Pre-rendering (train time, no calls) is for any worker.
    assert (await asyncio.wait_for(queue.get(first_chunks_only=True), 1)).seq == 1
    assert queue.empty()


def _nice(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])  # field 19 of stat: nice


async def _wait_for_replacements(synth: PooledSynthesizer, n: int, dead: set[int]) -> None:
    for _ in range(400):
        if len(synth.pids()) == n and not dead & set(synth.pids()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"workers: {synth.pids()}")


async def test_a_first_chunk_is_made_while_the_general_worker_is_stuck() -> None:
    synth = PooledSynthesizer(VoiceParams(), workers=2, request_timeout_s=30)
    await synth.start()
    try:
        [general] = synth.pids("general")
        os.kill(general, signal.SIGSTOP)  # busy for a long time, as with a long tail chunk
        later = [asyncio.ensure_future(synth.synthesize(f"And the rest of reply {i}.", 8000, priority=1))
                 for i in range(2)]
        first = await asyncio.wait_for(synth.synthesize("Your balance is", 8000, priority=FIRST_CHUNK), 10)
        assert first.duration_s > 0.3
        await asyncio.sleep(0.3)
        assert not any(t.done() for t in later)  # later chunks are never taken by the first-chunk worker
        os.kill(general, signal.SIGCONT)
        assert all(a.duration_s > 0.5 for a in await asyncio.wait_for(asyncio.gather(*later), 10))
    finally:
        await synth.close()


async def test_each_role_keeps_its_cpu_priority_after_a_worker_is_replaced() -> None:
    base = os.nice(0)
    synth = PooledSynthesizer(VoiceParams(), workers=3, nice=5, tail_nice=10)
    await synth.start()
    try:
        [first] = synth.pids("first")
        general = synth.pids("general")
        assert len(general) == 2
        assert _nice(first) == min(19, base + 5)
        assert all(_nice(pid) == min(19, base + 10) for pid in general)
        os.kill(first, signal.SIGKILL)
        os.kill(general[0], signal.SIGKILL)
        await _wait_for_replacements(synth, 3, {first, general[0]})
        [new_first] = synth.pids("first")
        assert _nice(new_first) == min(19, base + 5)
        assert all(_nice(pid) == min(19, base + 10) for pid in synth.pids("general"))
    finally:
        await synth.close()


async def test_a_live_request_no_worker_can_take_fails_within_its_deadline() -> None:
    synth = PooledSynthesizer(VoiceParams(), workers=2, request_timeout_s=0.5)
    await synth.start()
    try:
        # The voice disappears (a model file removed while running): the general worker's
        # replacement cannot start, so a later chunk has no worker at all.
        synth.voice = VoiceParams(voice="no-such-voice-xyz")
        [general] = synth.pids("general")
        os.kill(general, signal.SIGKILL)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TtsError, match="did not answer"):
            await asyncio.wait_for(synth.synthesize("the rest", 8000, priority=1), 20)
        assert loop.time() - started <= 0.5 * 4 + 1
        # First chunks still have their worker.
        assert (await synth.synthesize("Hello.", 8000, priority=FIRST_CHUNK)).duration_s > 0.2
    finally:
        await synth.close()
