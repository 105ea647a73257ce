"""When the neural final pass starts early: at the caller's pause, before the turn ends.

A pause of `after_ms` within the turn starts one guess (`stt.two_pass`: the turn so far is
decoded while the endpointer waits out the end-of-speech silence); the caller talking again
clears it, so the next pause starts a new one. The guess answers the final only if it was
the last pause and the turn was not cut at its maximum length.
"""

from __future__ import annotations


class PauseGuess:
    """One turn's speculation rule; `after_ms` 0 never guesses (no neural final pass)."""

    def __init__(self, after_ms: int) -> None:
        self.after_ms = after_ms
        self.guessed = False  # a guess is decoding this pause's turn so far

    def on_speech(self, silent_ms: float) -> bool:
        """A frame within the turn, `silent_ms` into a pause: True when a guess starts now."""
        if not self.after_ms:
            return False
        if silent_ms < self.after_ms:
            self.guessed = False  # still talking, or talking again: a new guess at the next pause
            return False
        if self.guessed:
            return False
        self.guessed = True
        return True

    def turn_ended(self, truncated: bool = False) -> bool:
        """The turn ended: whether its final may be the pause's guess; ready for the next turn."""
        use_guess = self.guessed and not truncated
        self.guessed = False
        return use_guess
