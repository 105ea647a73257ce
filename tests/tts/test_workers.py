"""The worker pool: dead and hung workers are replaced, the event loop stays responsive."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from tts.pool import Pyttsx3Synthesizer
from tts.service import SpeechService
from tts.synthesizer import TtsError, VoiceParams

from .conftest import rms

LONG = " ".join(["Your payment of twelve dollars has been received, thank you."] * 8)


async def test_killed_worker_is_replaced_and_the_request_still_succeeds() -> None:
    synth = Pyttsx3Synthesizer(VoiceParams(), workers=2)
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
    synth = Pyttsx3Synthesizer(VoiceParams(), workers=1, request_timeout_s=1.0)
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


async def test_event_loop_stays_responsive_while_20_syntheses_run(service: SpeechService) -> None:
    texts = [
        " ".join(f"Reply {i}, part {j}: your payment of ${i}.{j:02d} is received." for j in range(4))
        for i in range(20)
    ]
    lags: list[float] = []
    done = asyncio.Event()

    async def monitor() -> None:
        tick = 0.005
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(tick)
            lags.append(time.perf_counter() - started - tick)

    watcher = asyncio.ensure_future(monitor())
    results = await asyncio.gather(*(service.synthesize(t, "mulaw8k") for t in texts))
    done.set()
    await watcher
    assert service.synthesized >= 20 * 4  # every sentence is different: nothing cached
    assert all(len(r) > 8000 * 10 for r in results)
    assert len(lags) > 20
    assert max(lags) <= 0.020, f"max event loop lag {max(lags) * 1000:.1f} ms"


async def test_requests_fail_cleanly_when_the_pool_closes() -> None:
    synth = Pyttsx3Synthesizer(VoiceParams(), workers=1)
    await synth.start()
    requests = [asyncio.ensure_future(synth.synthesize(f"{LONG} {i}", 8000)) for i in range(4)]
    await asyncio.sleep(0.01)
    await synth.close()
    results = await asyncio.wait_for(asyncio.gather(*requests, return_exceptions=True), 5)
    assert any(isinstance(r, TtsError) and "shutting down" in str(r) for r in results)
    with pytest.raises(TtsError, match="not started"):
        await synth.synthesize("Hello.")
