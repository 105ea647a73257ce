"""Shared speech for the Listening tests: loaded, synthesized or built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.bench.corpus import caller_sentences, load_8k, telephone_speech
from bot.caller.voices import VOICES
from stt.asterisk_prompts import Prompt, asterisk_prompts
from tests.conftest import run_lock

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
    """The domain language model built the way `voicebot train` builds it: once per run (the
    xdist workers share it), and not at all when the one `voicebot train` left is current
    (its stamp is the digest of the same sentences and build parameters)."""
    from nlu.training import speech_lm_sentences
    from stt.language_model import build_domain_lm

    root = Path(__file__).resolve().parents[2]
    trained = root / "models" / "domain-lm" / "domain.lm.bin"
    with run_lock(tmp_path_factory, "domain-lm") as shared:
        out = shared / "domain-lm" / "domain.lm.bin"
        if not out.exists() and trained.is_file() and stamp_of(trained).is_file():
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(trained, out)
            shutil.copyfile(stamp_of(trained), stamp_of(out))
        sentences = speech_lm_sentences(root / "nlu", root / "nlu" / "datasets")
        return build_domain_lm(sentences, out)


def stamp_of(lm: Path) -> Path:
    return lm.with_name(lm.name + ".sha256")
