"""Every fixed sentence the bot can say: the call's own lines, the domain's responses, the
recording notice and the hold announcements that carry no number to read back.

`voicebot train` renders these for the configured voice into the pre-rendered store, so on
a call only read-backs (amounts, references, numbers) are synthesised live. A response with
slots contributes the sentences that do not contain one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.call import prompts

# Hold announcements without a number in them (escalation/wait.py).
HOLD_LINES = [
    "An agent will be with you shortly.",
    "You are next in line; the wait is less than a minute.",
] + [f"You are number {n}; the wait is less than a minute." for n in range(2, 6)]
# Read-backs go digit by digit ("4, 7, 1, 0"): each digit is a chunk of its own (tts/pauses.py),
# in the middle of a number or at its end, so these make a read-back come from the cache too.
DIGIT_CHUNKS = [w + end for w in "zero one two three four five six seven eight nine".split()
                for end in ("", ".", "?")]


def domain_responses(domain_dir: Path) -> list[str]:
    """The text of every response variation in the domain's YAML files."""
    texts: list[str] = []
    for path in sorted(domain_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for variations in (data.get("responses") or {}).values():
            texts += [v["text"] for v in variations or [] if isinstance(v, dict) and v.get("text")]
    return texts


def fixed_texts(settings: Any) -> list[str]:
    """The whole replies and lines the bot says word for word (slot templates included)."""
    recording = settings.recording
    texts = list(prompts.ALL) + HOLD_LINES
    texts += [recording.consent_announcement, recording.consent_declined_reply]
    texts += domain_responses(settings.path(settings.nlu.project_dir) / "domain")
    return list(dict.fromkeys(t for t in texts if t))


def fixed_sentences(texts: list[str], plan: Any) -> list[str]:
    """The spoken sentences of `texts` (as `plan` cuts them) that hold no slot, and the digits."""
    sentences = [s for text in texts for s in plan(text)] + DIGIT_CHUNKS
    return list(dict.fromkeys(s for s in sentences if "{" not in s and "}" not in s))
