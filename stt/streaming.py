"""Async wrapper: a call's recognizer runs in its own single-thread executor, off the loop."""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stt.recognizer import Recognizer, Transcript


class StreamingRecognizer:
    """Feed audio and get partials/finals without blocking the event loop.

    One thread per call keeps the calls of one recognizer in order (it is not thread-safe).
    """

    def __init__(self, recognizer: Recognizer) -> None:
        self.recognizer = recognizer
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt")
        self._closed = False

    async def _run(self, fn: Any, *args: Any) -> Any:
        if self._closed:
            raise RuntimeError("StreamingRecognizer is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    async def accept(self, pcm: bytes) -> str | None:
        """Feed audio; the new partial transcript when it changed, else None."""
        return await self._run(self.recognizer.accept, pcm)

    async def final(self) -> Transcript:
        """End the utterance and return its transcript."""
        return await self._run(self.recognizer.final)

    async def reset(self) -> None:
        await self._run(self.recognizer.reset)

    async def close(self) -> None:
        """Stop the worker thread (waits for a decode in progress)."""
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(None, self._executor.shutdown, True)

    async def __aenter__(self) -> StreamingRecognizer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
