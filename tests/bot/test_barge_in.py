"""Barge-in policy: real words interrupt, backchannels and short noise do not."""

from __future__ import annotations

import pytest

from bot.barge_in import BargeInPolicy, is_backchannel


@pytest.mark.parametrize("text", ["mhm", "okay", "yeah", "uh huh", "okay yeah", "mm hmm"])
def test_backchannels_are_recognised(text: str) -> None:
    assert is_backchannel(text)


@pytest.mark.parametrize("text", ["wait", "okay stop", "no that's wrong", "agent please"])
def test_real_words_are_not_backchannels(text: str) -> None:
    assert not is_backchannel(text)


def test_two_real_words_interrupt() -> None:
    policy = BargeInPolicy(min_speech_ms=800, min_words=2)
    assert not policy.on_partial("wait")
    assert policy.on_partial("wait stop")


def test_backchannel_words_never_interrupt_however_many() -> None:
    policy = BargeInPolicy(min_speech_ms=800, min_words=2)
    assert not policy.on_partial("okay yeah mhm")


def test_long_speech_interrupts_short_noise_does_not() -> None:
    policy = BargeInPolicy(min_speech_ms=400, min_words=2)
    assert not any(policy.on_speech(20) for _ in range(19))  # 380 ms
    assert policy.on_speech(20)  # 400 ms


def test_long_backchannel_does_not_interrupt() -> None:
    policy = BargeInPolicy(min_speech_ms=400, min_words=2)
    policy.on_partial("mhm")
    assert not any(policy.on_speech(20) for _ in range(50))


def test_reset_starts_a_new_measurement() -> None:
    policy = BargeInPolicy(min_speech_ms=100, min_words=2)
    for _ in range(4):
        policy.on_speech(20)
    policy.reset()
    assert not policy.on_speech(20)
