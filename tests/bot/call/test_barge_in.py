"""Barge-in policy: real words interrupt, backchannels and short noise do not."""

from __future__ import annotations

import pytest

from bot.call.barge_in import BargeInPolicy, is_backchannel


@pytest.mark.parametrize("text", ["mhm", "okay", "yeah", "uh huh", "okay yeah", "mm hmm"])
def test_backchannels_are_recognised(text: str) -> None:
    assert is_backchannel(text)


@pytest.mark.parametrize("text", ["wait", "okay stop", "no that's wrong", "agent please"])
def test_real_words_are_not_backchannels(text: str) -> None:
    assert not is_backchannel(text)


def test_two_real_words_interrupt_once_they_hold() -> None:
    policy = BargeInPolicy(min_speech_ms=800, min_words=2)
    assert not policy.on_partial("wait")
    assert not policy.on_partial("wait stop")  # the recognizer may still change its mind
    assert policy.on_partial("wait stop i")


def test_a_changing_guess_on_a_short_sound_does_not_interrupt() -> None:
    policy = BargeInPolicy(min_speech_ms=800, min_words=2)
    for partial in ["go", "i hope", "okay"]:  # what pocketsphinx made of a spoken "okay"
        assert not policy.on_partial(partial)


def test_backchannel_words_never_interrupt_however_many() -> None:
    policy = BargeInPolicy(min_speech_ms=800, min_words=2)
    assert not policy.on_partial("okay yeah mhm")


def test_long_speech_interrupts_short_noise_does_not() -> None:
    policy = BargeInPolicy(min_speech_ms=400, min_words=2)
    assert not any(policy.on_speech(ms) for ms in range(0, 400, 20))  # up to 380 ms
    assert policy.on_speech(400)


def test_long_backchannel_does_not_interrupt() -> None:
    policy = BargeInPolicy(min_speech_ms=400, min_words=2)
    policy.on_partial("mhm")
    assert not any(policy.on_speech(ms) for ms in range(0, 1000, 20))
