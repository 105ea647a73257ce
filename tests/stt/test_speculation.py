"""The speculation rule the listener and `voicebot bench stt` share: one guess a pause."""

from __future__ import annotations

from stt.speculation import PauseGuess


def test_one_guess_a_pause_and_a_new_one_after_the_caller_goes_on() -> None:
    guess = PauseGuess(200)
    assert [guess.on_speech(ms) for ms in (0, 0, 100, 180)] == [False] * 4  # talking, short pauses
    assert guess.on_speech(200) and guess.guessed  # the pause is long enough: guess now
    assert not guess.on_speech(220) and not guess.on_speech(400)  # once a pause
    assert not guess.on_speech(0) and not guess.guessed  # talking again: that guess is stale
    assert guess.on_speech(260)  # the next pause: a new guess
    assert guess.turn_ended() and not guess.guessed  # the final may be the last pause's guess
    assert not guess.turn_ended()  # a new turn starts with no guess


def test_no_guess_stands_for_a_turn_cut_at_its_maximum_or_after_more_words() -> None:
    guess = PauseGuess(200)
    assert guess.on_speech(300)
    assert not guess.turn_ended(truncated=True)
    assert guess.on_speech(300)
    guess.on_speech(0)  # more words after the pause
    assert not guess.turn_ended()


def test_zero_never_guesses() -> None:
    guess = PauseGuess(0)
    assert not any(guess.on_speech(ms) for ms in (0, 200, 5000))
    assert not guess.turn_ended()
