"""Place one scripted call and report it: the caller's view plus the bot's call record."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.caller.twilio_client import BotReply, TwilioCaller
from bot.caller.voices import speak
from bot.caller.webhook import http_base
from stt.audio import read_wav, to_rate


@dataclass(frozen=True)
class CallerTurn:
    """One thing the caller does: say text, play a WAV, press keys, or stay silent."""

    kind: str  # say | wav | press | silence
    value: str
    voice: str = "rms"

    @classmethod
    def parse(cls, kind: str, value: str, voice: str) -> CallerTurn:
        if kind == "wav" and not Path(value).is_file():
            raise FileNotFoundError(f"no such WAV file: {value}")
        if kind == "silence":
            float(value)  # raises ValueError with the bad text
        return cls(kind, value, voice)

    def audio(self) -> bytes:
        """The caller's audio for this turn, PCM16 8 kHz (empty for keypad turns)."""
        if self.kind == "say":
            return speak(self.value, self.voice)
        if self.kind == "wav":
            pcm, rate = read_wav(Path(self.value))
            return to_rate(pcm, rate, 8000)
        if self.kind == "silence":
            return b"\x00\x00" * int(float(self.value) * 8000)
        return b""


def record_url(ws_url: str, call_id: str) -> str:
    return f"{http_base(ws_url)}/calls/{call_id}"


async def fetch_record(ws_url: str, token: str, call_id: str, timeout_s: float = 10.0) -> dict | None:
    """The bot's record of the call, once it has ended (None if it is not available).

    `token` is an API token with scope calls:read."""
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            async with http.get(record_url(ws_url, call_id),
                                headers={"Authorization": f"Bearer {token}"}) as response:
                if response.status == 200:
                    record = await response.json()
                    if record["call"].get("outcome"):
                        return record
                elif response.status != 404:
                    return None
            await asyncio.sleep(0.2)
    return None


def _reply_json(reply: BotReply) -> dict[str, Any]:
    return {"bot_audio_s": round(reply.duration_s, 2), "latency_ms": reply.latency_ms,
            "interrupted": reply.interrupted}


async def dial(url: str, token: str, turns: list[CallerTurn], caller: str = "+15550100123",
               reply_timeout_s: float = 15.0, auth_token: str = "") -> dict[str, Any]:
    """Call the bot, hear the greeting, run the turns, hang up; return the call as a dict.

    The stream's token comes from the voice webhook (signed with `auth_token` when set);
    `token`, an API token with scope calls:read, reads the bot's record of the call."""
    audio = [await asyncio.to_thread(turn.audio) for turn in turns]
    result: dict[str, Any] = {"url": url, "connected": False, "turns": []}
    async with TwilioCaller(url, caller=caller, auth_token=auth_token) as call:
        result["call_id"] = call.log.call_sid
        greeting = await call.listen(timeout_s=reply_timeout_s)
        result["connected"] = greeting.duration_s > 0
        result["greeting"] = _reply_json(greeting)
        for turn, pcm in zip(turns, audio):
            if call.log.closed_by_bot:
                break
            if turn.kind == "press":
                await call.press(turn.value)
            else:
                await call.say_pcm(pcm)
            reply = await call.listen(timeout_s=reply_timeout_s)
            result["turns"].append({"caller": {turn.kind: turn.value}, **_reply_json(reply)})
        result["bot_hung_up"] = call.log.closed_by_bot
        result["late_frames_sent"] = call.log.late_frames
    record = await fetch_record(url, token, result.get("call_id", ""))
    if record:
        result["outcome"] = record["call"]["outcome"]
        result["end_reason"] = record["call"]["end_reason"]
        result["bot"] = [{"heard": t["user_text"], "intent": t["intent"],
                          "confidence": t["confidence"], "said": t["bot_text"],
                          "handoff": t["handoff"], "latency": t["latency"]}
                         for t in record["turns"]]
    return result
