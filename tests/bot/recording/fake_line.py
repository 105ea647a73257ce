"""A channel's outbound half that only keeps what it is sent (the wire, for recording tests)."""

from __future__ import annotations


class FakeLine:
    name = "twilio"
    output_format = "pcm8k"
    input_rate = 8000

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.cleared = 0

    async def send_audio(self, chunk: bytes) -> None:
        self.sent.append(chunk)

    async def clear(self) -> None:
        self.cleared += 1

    async def transfer(self, target: str) -> bool:
        return True

    async def hangup(self) -> None:
        pass
