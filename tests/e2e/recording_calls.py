"""A scripted complaint call over the Twilio protocol, noting where on the call's clock the
caller spoke, the bot spoke and the keys were pressed (for the recording tests and the
screenshot script, scripts/recording_player_screenshot.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.caller.twilio_client import TwilioCaller
from bot.caller.voices import speak

FRAME_S = 0.02
QUIET_S = 0.8  # TwilioCaller.listen's end of a reply


@dataclass
class CallTimes:
    """Seconds on the caller's audio clock (frames the caller sent) of what happened."""

    call_id: str = ""
    caller: list[tuple[float, float]] = field(default_factory=list)
    bot: list[tuple[float, float, str]] = field(default_factory=list)  # start, end, label
    keys: tuple[float, float] = (0.0, 0.0)


class ScriptedCall:
    def __init__(self, call: TwilioCaller) -> None:
        self.call = call
        self.times = CallTimes(call_id=call.log.call_sid)

    def now(self) -> float:
        return self.call.log.frames_sent * FRAME_S

    async def hear(self, label: str, timeout_s: float = 25.0) -> float:
        """The bot's reply; its window is noted. Returns its length in seconds."""
        reply = await self.call.listen(timeout_s=timeout_s, quiet_s=QUIET_S)
        end = self.now() - QUIET_S
        self.times.bot.append((end - reply.duration_s, end, label))
        return reply.duration_s

    async def say(self, text: str) -> None:
        start = self.now()
        await self.call.say_pcm(speak(text, "rms"))
        self.times.caller.append((start, self.now()))

    async def press(self, keys: str) -> None:
        start = self.now()
        await self.call.press(keys, gap_s=0.2)
        self.times.keys = (start, self.now())


async def complaint_call(ws_url: str) -> CallTimes:
    """Consent announcement and greeting, a complaint whose account number is keyed in, the
    read-back confirmed, no person wanted, goodbye."""
    async with TwilioCaller(ws_url, caller="+15550142077") as call:
        script = ScriptedCall(call)
        await script.hear("announcement and greeting")
        await script.hear("greeting", timeout_s=2)  # when it came after a gap
        await script.say("i want to make a complaint")
        await script.hear("what is the complaint about")
        await script.say("a fee on my statement")
        await script.hear("what happened")
        await script.say("i was charged a fee for a card payment")
        await script.hear("account number")
        await script.press("12345678#")
        await script.hear("read back")
        await script.say("yes")
        await script.hear("ticket")
        await script.say("no thank you")
        await script.hear("in touch")
        await script.say("thank you goodbye")
        await script.hear("goodbye")
        await call.wait_closed(10)
        return script.times
