"""When caller speech over the bot counts as an interruption (and when it is a backchannel)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words callers say to show they are listening; they must not cut the bot off.
BACKCHANNELS = frozenset(
    "mhm mm hmm uh huh um uhhuh ok okay yeah yes yep right sure alright aha ah oh".split()
)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def is_backchannel(text: str) -> bool:
    """True when every recognised word is a listening noise ("mhm", "okay", "yeah")."""
    return all(w in BACKCHANNELS for w in words(text))


@dataclass
class BargeInPolicy:
    """Decides, while the bot speaks, whether the caller is taking the turn."""

    min_speech_ms: int = 800
    min_words: int = 2

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.speech_ms = 0.0
        self.partial = ""
        self._lead: list[str] = []

    def on_speech(self, voiced_ms: float) -> bool:
        """The caller has talked for `voiced_ms` (trailing silence excluded); True once that
        is long enough to interrupt, unless all they said is a backchannel."""
        self.speech_ms = voiced_ms
        if self.partial and is_backchannel(self.partial):
            return False
        return self.speech_ms >= self.min_speech_ms

    def on_partial(self, text: str) -> bool:
        """A new partial transcript; True when it holds enough real (non-backchannel) words.

        The leading words must survive one more partial: on a short sound (a backchannel, a
        cough) the recognizer's early guesses change with every frame ("you have" for
        "yeah"), while a caller who is really talking extends a stable start.
        """
        self.partial = text
        heard = words(text)
        lead, self._lead = self._lead, heard[: self.min_words]
        real = [w for w in heard if w not in BACKCHANNELS]
        stable = len(lead) >= self.min_words and heard[: self.min_words] == lead
        return len(heard) >= self.min_words and len(real) >= 1 and stable
