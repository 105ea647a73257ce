"""Does a caller's turn decline recording? A configured phrase in their words, or the key."""

from __future__ import annotations

import re

from bot.config import RecordingSettings
from nlu.engine import Digits, Text, UserInput


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))) + " "


def declines(settings: RecordingSettings, said: UserInput | None) -> bool:
    """True when `said` is the decline key alone, or words containing a decline phrase."""
    if isinstance(said, Digits):
        return bool(settings.consent_decline_key) and said.digits.strip("#") == settings.consent_decline_key
    if isinstance(said, Text):
        words = _words(said.text)
        return any(_words(phrase) in words for phrase in settings.consent_decline_phrases
                   if phrase.strip())
    return False
