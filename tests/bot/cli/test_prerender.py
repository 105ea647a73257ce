"""`voicebot train`'s pre-rendering, for real (the default pyttsx3 voice, the quickest): every
fixed line is in the store afterwards, and a call's replies then come from it, bar read-backs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client.exposition import generate_latest

from bot.call import prompts
from bot.call.fixed_lines import domain_responses, fixed_sentences, fixed_texts
from bot.cli.prerender import prerender_fixed_lines
from bot.config import load_settings
from bot.metrics import CallMetrics
from bot.services_factory import CHANNEL_FORMATS
from tts.cache import cache_key
from tts.service import SpeechService

GREETING = "Hello, and thank you for calling Harbour Bank. I'm the automated assistant. How can I help you today?"
TICKET = ("Thank you. Your complaint is logged. Your reference number is {reference_spoken}. "
          "Would you like to speak to a person about it now?")


def test_fixed_lines_cover_prompts_domain_and_slot_free_template_sentences() -> None:
    settings = load_settings()
    texts = fixed_texts(settings)
    assert GREETING in texts and prompts.CONNECTING in texts and TICKET in texts
    assert settings.recording.consent_announcement in texts
    sentences = fixed_sentences(texts, lambda t: [s.strip() + "." for s in t.split(".") if s.strip()])
    assert "Your complaint is logged." in sentences  # the template's sentences without a slot
    assert not [s for s in sentences if "{" in s]  # ... and never one with a slot
    assert len(domain_responses(settings.path(settings.nlu.project_dir) / "domain")) > 80


async def test_train_prerenders_every_fixed_line_and_calls_then_synthesise_only_read_backs(
    tmp_path: Path,
) -> None:
    store = tmp_path / "prerendered"
    settings = load_settings(environ={"VOICEBOT_TTS__PRERENDERED_DIR": str(store)})
    messages: list[str] = []
    # As `voicebot train` runs it (its own event loop, in its own process there).
    assert await asyncio.to_thread(prerender_fixed_lines, settings, messages.append) == ""
    assert "voice pyttsx3 (en-us)" in messages[0]

    service = SpeechService.from_settings(settings.tts, tmp_path / "runtime-cache", store)
    texts = fixed_texts(settings)
    sentences = fixed_sentences(texts, service.plan)
    stored = {p.stem for p in store.glob("*/*.audio")}
    missing = [s for s in sentences for fmt in CHANNEL_FORMATS
               if cache_key(service.voice, fmt, s) not in stored]
    assert not missing, missing[:5]

    metrics = CallMetrics()
    metrics.watch_speech(service.audio_ms)
    async with service:
        greeting = await service.synthesize(GREETING, "mulaw8k")
        assert service.synthesized == 0 and service.audio_ms["live"] == 0  # all pre-rendered
        assert len(greeting) > 8000 * 3
        # A read-back: "four, seven, one, zero" is one cached chunk per digit; the sentence
        # leading into it is the only audio made on the call.
        ticket = TICKET.format(reference_spoken="4, 7, 1, 0")
        await service.synthesize(ticket, "mulaw8k")
        assert service.synthesized == 1
        assert 0.8 < service.cache_share() < 1.0
    scraped = generate_latest(metrics.registry).decode()
    assert 'voicebot_speech_audio_seconds{source="cache"}' in scraped
    assert 'voicebot_speech_audio_seconds{source="live"} 0.0' not in scraped
