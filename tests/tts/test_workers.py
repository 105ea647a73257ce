"""The worker pool: dead and hung workers are replaced, the event loop stays responsive."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

import tts.worker
from tts.pool import PooledSynthesizer
from tts.service import SpeechService
from tts.synthesizer import TtsError, VoiceParams

from .conftest import rms

LONG = " ".join(["Your payment of twelve dollars has been received, thank you."] * 8)


async def test_killed_worker_is_replaced_and_the_request_still_succeeds() -> None:
    synth = PooledSynthesizer(VoiceParams(), workers=2)
    await synth.start()
    try:
        before = synth.pids()
        assert len(before) == 2
        # Kill one worker while idle, and the other right after a request reached it.
        os.kill(before[0], signal.SIGKILL)
        request = asyncio.ensure_future(synth.synthesize(LONG, 8000))
        await asyncio.sleep(0.005)
        os.kill(before[1], signal.SIGKILL)
        audio = await asyncio.wait_for(request, 20)
        assert audio.duration_s > 10 and rms(audio.pcm, "pcm16k") > 500
        for _ in range(400):  # the idle one is replaced in the background
            if len(synth.pids()) == 2:
                break
            await asyncio.sleep(0.05)
        after = synth.pids()
        assert len(after) == 2 and not set(after) & set(before)
        assert synth.restarts >= 2
        # And the replacements work for the next request too.
        assert (await synth.synthesize("Still here.", 8000)).duration_s > 0.3
    finally:
        await synth.close()
    assert synth.pids() == []


async def test_hung_worker_is_replaced_after_the_request_timeout() -> None:
    synth = PooledSynthesizer(VoiceParams(), workers=1, request_timeout_s=1.0)
    await synth.start()
    try:
        [pid] = synth.pids()
        os.kill(pid, signal.SIGSTOP)  # a real process that stops answering
        started = time.monotonic()
        audio = await synth.synthesize("Are you still there?", 8000)
        assert 1.0 <= time.monotonic() - started < 10
        assert audio.duration_s > 0.5
        assert synth.pids() != [pid]
    finally:
        await synth.close()


async def test_20_syntheses_run_in_the_workers_while_the_loop_keeps_turning(
    service: SpeechService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No synthesis on the event loop: the engine is never called in this process, and the
    loop turns between replies finishing. How late the loop wakes meanwhile is a wall-clock
    claim: `voicebot bench tts` measures it (event loop lag, 20 concurrent)."""

    def not_here(*args: object, **kwargs: object) -> None:
        raise AssertionError("synthesis ran in the test process, beside the event loop")

    monkeypatch.setattr(tts.worker, "open_engine", not_here)
    monkeypatch.setattr(tts.worker, "synthesize", not_here)
    texts = [
        " ".join(f"Reply {i}, part {j}: your payment of ${i}.{j:02d} is received." for j in range(4))
        for i in range(20)
    ]
    turns = 0
    turns_at_reply: list[int] = []
    done = asyncio.Event()

    async def monitor() -> None:
        nonlocal turns
        while not done.is_set():
            turns += 1
            await asyncio.sleep(0.005)

    async def reply(text: str) -> bytes:
        audio = await service.synthesize(text, "mulaw8k")
        turns_at_reply.append(turns)
        return audio

    watcher = asyncio.ensure_future(monitor())
    results = await asyncio.gather(*(reply(t) for t in texts))
    done.set()
    await watcher
    assert service.synthesized >= 20 * 4  # every sentence is different: nothing cached
    assert all(len(r) > 8000 * 10 for r in results)
    # Synthesis that blocked the loop would finish every reply before the monitor ran again.
    assert turns_at_reply[-1] > turns_at_reply[0], turns_at_reply


async def test_requests_fail_cleanly_when_the_pool_closes() -> None:
    synth = PooledSynthesizer(VoiceParams(), workers=1)
    await synth.start()
    requests = [asyncio.ensure_future(synth.synthesize(f"{LONG} {i}", 8000)) for i in range(4)]
    await asyncio.sleep(0.01)
    await synth.close()
    results = await asyncio.wait_for(asyncio.gather(*requests, return_exceptions=True), 5)
    assert any(isinstance(r, TtsError) and "shutting down" in str(r) for r in results)
    with pytest.raises(TtsError, match="not started"):
        await synth.synthesize("Hello.")
