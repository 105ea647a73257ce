"""The two tracks on the caller's clock: alignment, barge-in cut, pauses written as silence."""

from __future__ import annotations

import numpy as np

from bot.recording.timeline import StereoTimeline

RATE = 8000


def tone(n: int, level: int = 1000) -> bytes:
    return np.full(n, level, dtype="<i2").tobytes()


def test_bot_audio_lands_at_the_clock_of_its_sending_and_silence_fills_the_rest() -> None:
    line = StereoTimeline(RATE, holdback_s=0, block_s=0)
    line.caller(tone(800, 0))  # 0.1 s of caller silence
    line.bot(tone(160, 500))  # sent at 0.1 s
    line.caller(tone(800, 300))
    out = line.take(final=True)
    assert out.shape == (1600, 2)
    assert (out[:800, 1] == 0).all() and (out[800:960, 1] == 500).all() and (out[960:, 1] == 0).all()
    assert (out[800:, 0] == 300).all()


def test_a_clear_drops_bot_audio_sent_ahead_of_the_clock() -> None:
    line = StereoTimeline(RATE, holdback_s=0, block_s=0)
    line.caller(tone(160))
    line.bot(tone(800, 500))  # 0.1 s sent ahead at once
    line.caller(tone(160))  # 20 ms later the caller barges in: the rest was never played
    line.cut_bot()
    out = line.take(final=True)
    assert out.shape[0] == 320
    assert (out[160:320, 1] == 500).all()


def test_a_pause_is_silence_on_both_channels_and_listed_even_backdated() -> None:
    line = StereoTimeline(RATE, holdback_s=0.5, block_s=0)
    line.caller(tone(8000))  # 1 s
    line.pause("keypad", back_s=0.25)  # the key's tone came before its event
    line.bot(tone(800, 700))
    line.caller(tone(8000))
    line.resume("keypad")
    line.caller(tone(4000))
    out = line.take(final=True)
    assert (out[:6000, 0] == 1000).all()
    assert (out[6000:16000] == 0).all()
    assert (out[16000:, 0] == 1000).all()
    assert line.pause_list() == [{"start_s": 0.75, "end_s": 2.0, "reasons": ["keypad"]}]


def test_blocks_are_held_back_so_a_late_pause_can_still_silence_them() -> None:
    line = StereoTimeline(RATE, holdback_s=0.5, block_s=1.0)
    line.caller(tone(8000))
    assert line.take() is None  # 1 s received, 0.5 s ready: less than a block
    line.caller(tone(8000))
    block = line.take()
    assert block is not None and block.shape == (12000, 2)
    assert line.base == 12000
