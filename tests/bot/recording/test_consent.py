"""What declines recording: a configured phrase in the caller's words, or the key alone."""

from __future__ import annotations

from bot.config import RecordingSettings
from bot.recording.consent import declines
from nlu.engine import Digits, Event, Text


def test_phrases_and_the_key_decline_other_input_does_not() -> None:
    settings = RecordingSettings(mode="all")
    assert declines(settings, Text("No recording please."))
    assert declines(settings, Text("I'd rather you DON'T RECORD this"))
    assert declines(settings, Digits("9"))
    assert not declines(settings, Digits("12349"))  # a number that ends in 9
    assert not declines(settings, Text("I have no record of that payment"))
    assert not declines(settings, Event("call_start"))
    assert not declines(RecordingSettings(consent_decline_key=""), Digits("9"))


def test_a_reply_reading_back_a_sensitive_number_is_sensitive_a_reference_is_not() -> None:
    from bot.recording.call import says_sensitive

    read_back = ["Let me read that back.", "The number is 1, 2, 3, 4, 5, 6, 7, 8. Is that right?"]
    assert says_sensitive(read_back, ["12345678"])
    assert not says_sensitive(read_back, ["99999999"])
    assert says_sensitive(["Your card 4111 1111 1111 1111 is blocked."], [])
    assert not says_sensitive(["Your reference number is C, 2, 0, 2, 6, 1, 2, 0, 3, 7."], ["12345678"])
