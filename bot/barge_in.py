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
        self.speech_ms = 0.0
        self.partial = ""

    def reset(self) -> None:
        self.speech_ms = 0.0
        self.partial = ""

    def on_speech(self, frame_ms: float) -> bool:
        """Another frame of caller speech; True once it has lasted long enough to interrupt."""
        self.speech_ms += frame_ms
        if self.partial and is_backchannel(self.partial):
            return False
        return self.speech_ms >= self.min_speech_ms

    def on_partial(self, text: str) -> bool:
        """A new partial transcript; True when it holds enough real (non-backchannel) words."""
        self.partial = text
        real = [w for w in words(text) if w not in BACKCHANNELS]
        return len(words(text)) >= self.min_words and len(real) >= 1
