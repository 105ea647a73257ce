"""Shared speech for the Listening tests: loaded or synthesized once per session."""

from __future__ import annotations

import pytest

from bot.bench.corpus import Prompt, asterisk_prompts, load_8k


@pytest.fixture(scope="session")
def asterisk_items() -> list[tuple[Prompt, bytes]]:
    """A fixed sample of 150 human-recorded Asterisk prompts with their 8 kHz audio."""
    return [(p, load_8k(p.path)) for p in asterisk_prompts(limit=150)]
