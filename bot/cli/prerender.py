"""Render every fixed sentence for the configured voice into the pre-rendered store
(run by `voicebot train`, in a child process beside the Rasa training)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def _prerender(settings: Any, progress: Callable[[str], None]) -> str:
    from bot.call.fixed_lines import fixed_sentences, fixed_texts
    from bot.services_factory import CHANNEL_FORMATS
    from tts.service import SpeechService

    tts = settings.tts
    store = settings.path(tts.prerendered_dir)
    # Writes go into the store itself; the service's runtime cache is not involved.
    service = SpeechService.from_settings(tts, store)
    service.cache.memory_items = 0
    started = time.perf_counter()
    async with service:
        sentences = fixed_sentences(fixed_texts(settings), service.plan)
        made = await service.prerender_sentences(sentences, CHANNEL_FORMATS)
        await service.cache.flush()
    progress(f"voice {tts.engine} ({service.voice.voice}): {len(sentences)} fixed sentences x "
             f"{len(CHANNEL_FORMATS)} formats in {store}, {made} rendered now "
             f"({time.perf_counter() - started:.0f} s)")
    return ""


def prerender_fixed_lines(settings: Any, progress: Callable[[str], None]) -> str:
    """"" when every fixed sentence is in the store, else why not (one line)."""
    try:
        return asyncio.run(_prerender(settings, progress))
    except Exception as exc:  # the bot still works, it synthesises these on the call
        return f"pre-rendering the fixed lines failed: {exc}"
