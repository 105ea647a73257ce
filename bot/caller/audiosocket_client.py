"""A caller that speaks Asterisk's AudioSocket protocol over TCP, in real time, as Asterisk does."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

from bot.channels.audiosocket import KIND_AUDIO, KIND_DTMF, KIND_HANGUP, KIND_UUID, encode

FRAME_BYTES = 320  # 20 ms of 8 kHz signed linear


class AudioSocketCaller:
    """One AudioSocket call: `async with AudioSocketCaller(host, port) as call:`."""

    def __init__(self, host: str, port: int, call_uuid: uuid.UUID | None = None) -> None:
        self.host, self.port = host, port
        self.call_uuid = call_uuid or uuid.uuid4()
        self.received: list[tuple[float, bytes]] = []
        self.hung_up_by_bot = asyncio.Event()
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._writer: asyncio.StreamWriter | None = None
        self.speech_ended_at: float | None = None
        self._sent_all = asyncio.Event()
        self._audio = asyncio.Event()

    async def __aenter__(self) -> AudioSocketCaller:
        reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._writer.write(encode(KIND_UUID, self.call_uuid.bytes))
        await self._writer.drain()
        self._tasks = [asyncio.create_task(self._send_loop()), asyncio.create_task(self._read_loop(reader))]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.hangup()

    async def _send_loop(self) -> None:
        assert self._writer is not None
        start, index = time.monotonic(), 0
        with contextlib.suppress(ConnectionError):
            while not self.hung_up_by_bot.is_set():
                delay = start + index * 0.02 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                frame = b"\x00" * FRAME_BYTES if self._outbox.empty() else self._outbox.get_nowait()
                if self._outbox.empty() and self.speech_ended_at is None:
                    self.speech_ended_at = time.monotonic()
                    self._sent_all.set()
                self._writer.write(encode(KIND_AUDIO, frame))
                await self._writer.drain()
                index += 1

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                header = await reader.readexactly(3)
                kind, length = header[0], int.from_bytes(header[1:], "big")
                payload = await reader.readexactly(length) if length else b""
                if kind == KIND_AUDIO:
                    self.received.append((time.monotonic(), payload))
                    self._audio.set()
                elif kind == KIND_HANGUP:
                    break
        self.hung_up_by_bot.set()
        self._audio.set()

    async def say(self, pcm8k: bytes) -> None:
        """Queue speech (PCM16 8 kHz) and wait until it has all been sent."""
        self.speech_ended_at = None
        self._sent_all.clear()
        if len(pcm8k) % FRAME_BYTES:
            pcm8k += b"\x00" * (FRAME_BYTES - len(pcm8k) % FRAME_BYTES)
        for i in range(0, len(pcm8k), FRAME_BYTES):
            self._outbox.put_nowait(pcm8k[i : i + FRAME_BYTES])
        await self._sent_all.wait()

    async def press(self, digit: str) -> None:
        assert self._writer is not None
        self._writer.write(encode(KIND_DTMF, digit.encode("ascii")))
        await self._writer.drain()

    async def listen(self, timeout_s: float = 15.0, quiet_s: float = 0.8) -> bytes:
        """Bot audio of the next reply: wait for it to start, then for `quiet_s` of nothing."""
        start = len(self.received)
        deadline = time.monotonic() + timeout_s
        while len(self.received) == start and not self.hung_up_by_bot.is_set():
            self._audio.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return b""
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._audio.wait(), remaining)
        while self.received:  # the bot sends in real time: a quiet gap ends its reply
            gap = time.monotonic() - self.received[-1][0]
            if gap >= quiet_s:
                break
            await asyncio.sleep(quiet_s - gap)
        return b"".join(p for _, p in self.received[start:])

    async def hangup(self) -> None:
        if self._writer is not None and not self._writer.is_closing():
            with contextlib.suppress(ConnectionError):
                self._writer.write(encode(KIND_HANGUP))
                await self._writer.drain()
            self._writer.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
