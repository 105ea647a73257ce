"""A real synthesizer whose later sentences are held back (timing only; the audio is real)."""

from __future__ import annotations

import asyncio

from tts.synthesizer import Audio, Synthesizer


class HoldingSynthesizer:
    """Passes a reply's first sentence (priority 0) straight to `inner`; every later one
    waits until `release()`, so a test can see what arrives before the rest is synthesized."""

    def __init__(self, inner: Synthesizer) -> None:
        self.inner = inner
        self.held = 0  # later sentences waiting now
        self._released = asyncio.Event()

    def release(self) -> None:
        self._released.set()

    async def synthesize(self, text: str, sample_rate: int | None = None, priority: int = 0) -> Audio:
        if priority > 0:
            self.held += 1
            try:
                await self._released.wait()
            finally:
                self.held -= 1
        return await self.inner.synthesize(text, sample_rate, priority=priority)
