"""Paced playback: real-time frames, cancellation within one frame, played time, late frames.

On the virtual clock (tests/fake_clock.py): the player's clock is the loop's, so the
schedule is checked exactly, however busy the machine is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from tests.fake_clock import on_virtual_clock
from tts.formats import Fmt
from tts.player import Player

from .fake_sources import chunks_with_gaps, never_ready


def now() -> float:
    return asyncio.get_running_loop().time()


def paced(send: Callable[[bytes], Awaitable[None]], fmt: Fmt = "mulaw8k", **kwargs) -> Player:
    """A player on the loop's (virtual) clock."""
    return Player(send, fmt, clock=now, **kwargs)


class Recorder:
    """A `send` that remembers when each frame went out."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.frames: list[bytes] = []

    async def send(self, frame: bytes) -> None:
        self.times.append(now())
        self.frames.append(frame)


async def one(data: bytes):
    yield data


@on_virtual_clock
async def test_frames_are_paced_at_real_time_without_drift() -> None:
    rec = Recorder()
    audio = bytes(range(256)) * 40  # 10240 bytes = 1.28 s = 64 frames of 160 bytes
    started = now()
    result = await paced(rec.send).play(one(audio))
    elapsed = now() - started
    assert result.completed and result.error is None
    assert result.frames == 64 and result.played_ms == 1280
    assert all(len(f) == 160 for f in rec.frames)
    assert b"".join(rec.frames) == audio
    # Frame n leaves at n * 20 ms: no drift (absolute schedule) and no burst.
    offsets = [t - rec.times[0] - n * 0.020 for n, t in enumerate(rec.times)]
    assert max(abs(o) for o in offsets) < 1e-9, max(offsets)
    assert result.late_frames == 0
    assert elapsed == pytest.approx(1.28)  # returns once the last frame has been heard


@on_virtual_clock
async def test_last_partial_frame_is_padded_with_silence_of_the_format() -> None:
    for fmt, size, silence in (("mulaw8k", 160, b"\xff"), ("pcm16k", 640, b"\x00")):
        rec = Recorder()
        result = await paced(rec.send, fmt).play(one(b"\x10" * (size + 10)))
        assert result.frames == 2
        assert rec.frames[1] == b"\x10" * 10 + silence * (size - 10)


@on_virtual_clock
async def test_cancel_mid_sentence_stops_within_one_frame() -> None:
    rec = Recorder()
    player = paced(rec.send)
    play = asyncio.ensure_future(player.play(chunks_with_gaps([(0.0, b"\x01" * 8000 * 3)])))
    await asyncio.sleep(0.5)
    assert player.playing
    cancelled_at = now()
    player.cancel()
    result = await play
    assert now() == cancelled_at  # returned at once
    assert [t for t in rec.times if t > cancelled_at] == []  # no frame followed
    assert not result.completed
    assert result.played_ms == len(rec.frames) * 20
    assert 500 <= result.played_ms <= 520  # what the caller actually heard
    assert not player.playing


@on_virtual_clock
async def test_cancel_while_waiting_for_the_next_sentence() -> None:
    rec = Recorder()
    player = paced(rec.send, "pcm16k")
    play = asyncio.ensure_future(player.play(never_ready(b"\x00\x01" * 1600)))  # 100 ms
    await asyncio.sleep(0.3)
    started = now()
    player.cancel()
    result = await play
    assert now() == started
    assert result.frames == 5 and result.played_ms == 100 and not result.completed


@on_virtual_clock
async def test_a_slow_next_sentence_counts_late_frames_and_does_not_burst() -> None:
    rec = Recorder()
    parts = [(0.0, b"\x01" * 800), (0.2, b"\x02" * 800)]  # 100 ms of audio, then 200 ms wait
    result = await paced(rec.send).play(chunks_with_gaps(parts))
    assert result.completed and result.frames == 10
    assert result.late_frames == 1 and result.max_late_ms >= 80
    second = rec.times[5:]
    gaps = [b - a for a, b in zip(second, second[1:])]
    assert min(gaps) == pytest.approx(0.020)  # paced again after the gap, not sent all at once


@on_virtual_clock
async def test_a_failing_source_ends_the_play_with_an_error() -> None:
    async def broken():
        yield b"\x00" * 320
        raise RuntimeError("synthesis failed")

    rec = Recorder()
    result = await paced(rec.send).play(broken())
    assert not result.completed and result.error == "RuntimeError: synthesis failed"
    assert result.failed and not result.hung_up  # a fault: the call must not stay silent
    assert result.frames == 2


@on_virtual_clock
async def test_the_caller_hanging_up_is_not_a_failure() -> None:
    async def gone(frame: bytes) -> None:
        raise ConnectionResetError("closed")

    result = await paced(gone).play(one(b"\x00" * 1600))
    assert result.hung_up and not result.failed and not result.completed


@on_virtual_clock
async def test_cancel_before_play_cancels_that_play() -> None:
    rec = Recorder()
    player = paced(rec.send)
    player.cancel()
    result = await player.play(one(b"\x00" * 1600))
    assert result.frames == 0 and not result.completed
    # ... and only that one.
    assert (await player.play(one(b"\x00" * 160))).completed


def test_unknown_format_is_refused() -> None:
    async def send(frame: bytes) -> None: ...

    with pytest.raises(ValueError, match="unknown audio format"):
        Player(send, "opus")  # type: ignore[arg-type]


@on_virtual_clock
async def test_lead_sends_a_cushion_at_once_then_paces() -> None:
    rec = Recorder()
    result = await paced(rec.send, lead_ms=60).play(one(b"\x01" * 160 * 10))
    assert result.completed and result.frames == 10 and result.late_frames == 0
    assert rec.times[3] == rec.times[0]  # frames 0-3 together (60 ms ahead)
    assert rec.times[9] - rec.times[0] == pytest.approx(0.120)
