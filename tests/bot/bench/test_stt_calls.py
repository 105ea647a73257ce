"""How `voicebot bench stt` groups utterances into calls."""

from __future__ import annotations

from bot.bench.stt import call_starts


def test_a_call_is_up_to_n_turns_of_one_speaker() -> None:
    speakers = ["kal"] * 7 + ["awb"] * 3 + ["kal"]
    assert call_starts(speakers, 5) == [
        True, False, False, False, False, True, False,  # kal: 5 turns, then 2
        True, False, False,  # a new voice is a new caller
        True,
    ]
    assert call_starts(speakers, 1) == [True] * len(speakers)
    assert call_starts(speakers, 100) == [True] + [False] * 6 + [True, False, False, True]
    assert call_starts([], 5) == []
