"""Shared speech for the Listening tests: loaded, synthesized or built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bench.corpus import caller_sentences, load_8k, telephone_speech
from bot.caller.voices import VOICES
from stt.asterisk_prompts import Prompt, asterisk_prompts

# Every 26th in-domain sentence: 8 sentences x 5 voices.
TEST_SENTENCES = caller_sentences()[::26][:8]


@pytest.fixture(scope="session")
def asterisk_items() -> list[tuple[Prompt, bytes]]:
    """A fixed sample of 150 human-recorded Asterisk prompts with their 8 kHz audio."""
    return [(p, load_8k(p.path)) for p in asterisk_prompts(limit=150)]


@pytest.fixture(scope="session")
def caller_speech() -> list[tuple[str, str, bytes]]:
    """(sentence, voice, 8 kHz PCM16 after the mu-law telephone path) for 8 sentences x 5 voices."""
    return [(s, v, telephone_speech(s, v)) for s in TEST_SENTENCES for v in VOICES]


@pytest.fixture(scope="session")
def domain_lm(tmp_path_factory) -> Path:
    """The domain language model built the way `voicebot train` builds it."""
    from nlu.training import speech_lm_sentences
    from stt.language_model import build_domain_lm

    root = Path(__file__).resolve().parents[2]
    out = tmp_path_factory.mktemp("lm") / "domain.lm.bin"
    sentences = speech_lm_sentences(root / "nlu", root / "nlu" / "datasets")
    return build_domain_lm(sentences, out)
