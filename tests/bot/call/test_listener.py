"""A turn that only dictates digits reaches the dialogue as the digits."""

from __future__ import annotations

from bot.call.listener import digits_only


def test_dictated_digits_become_the_digits() -> None:
    assert digits_only("Four, two, oh, 7.") == "4207"
    assert digits_only("It's 4 7 1 0") == "4710"
    assert digits_only("my account number is double five three nine") == "5539"
    assert digits_only("47103928") == "47103928"


def test_anything_else_stays_as_said() -> None:
    assert digits_only("I don't have it with me") == "I don't have it with me"
    assert digits_only("I want to speak to a person") == "I want to speak to a person"
    assert digits_only("it ends in 4 7 but I forgot the rest") == "it ends in 4 7 but I forgot the rest"
