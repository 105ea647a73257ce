"""Keypad (DTMF) handling: single keys act at once; during number entry, digits are collected."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

DIGITS = frozenset("0123456789*#")


class KeypadCollector:
    """Collects digits while the dialogue expects a number; otherwise passes each key on.

    A number ends with '#' or after `inter_digit_s` without a key press.
    """

    def __init__(self, deliver: Callable[[str], Awaitable[None]], inter_digit_s: float = 3.0) -> None:
        self._deliver = deliver
        self._inter_digit_s = inter_digit_s
        self._buffer = ""
        self._timer: asyncio.TimerHandle | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.expect_number = False

    async def press(self, key: str) -> None:
        if key not in DIGITS:
            return
        if not self.expect_number and not self._buffer:
            await self._deliver(key)
            return
        if key == "#":
            await self.flush()
            return
        self._buffer += key
        self._restart_timer()

    async def flush(self) -> None:
        if self._timer:
            self._timer.cancel()
            self._timer = None
        digits, self._buffer = self._buffer, ""
        if digits:
            await self._deliver(digits)

    def _restart_timer(self) -> None:
        if self._timer:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._inter_digit_s, self._on_timeout)

    def _on_timeout(self) -> None:
        task = asyncio.get_running_loop().create_task(self.flush())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def close(self) -> None:
        if self._timer:
            self._timer.cancel()
        for task in self._pending:
            task.cancel()
