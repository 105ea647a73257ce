"""A caller that speaks the Twilio Media Streams protocol in real time, as Twilio would.

It sends 20 ms mu-law frames continuously (speech when it has some, silence otherwise),
echoes marks back, honours `clear`, and times each bot reply from the end of its own speech.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field

import aiohttp
import numpy as np

from bot.caller.webhook import on_host_of, sign, stream_answer
from stt.audio import mulaw_to_pcm16, pcm16_to_mulaw

FRAME_MS = 20
FRAME_BYTES_8K = 320  # PCM16 at 8 kHz
SILENCE_FRAME = pcm16_to_mulaw(b"\x00" * FRAME_BYTES_8K)


@dataclass
class BotReply:
    """What the caller heard after one of its turns."""

    audio: bytes = b""  # PCM16 8 kHz
    first_audio_at: float | None = None
    last_audio_at: float | None = None
    latency_ms: float | None = None  # end of caller speech -> first bot audio frame
    interrupted: bool = False  # a `clear` arrived while it played

    @property
    def duration_s(self) -> float:
        return len(self.audio) / 2 / 8000


@dataclass
class CallLog:
    """Everything that happened on the caller's side of the line."""

    call_sid: str
    stream_sid: str
    frames_sent: int = 0
    late_frames: int = 0
    max_lateness_ms: float = 0.0
    clears: int = 0
    marks_echoed: int = 0
    closed_by_bot: bool = False
    close_code: int | None = None
    events: list[dict] = field(default_factory=list)
    media_times: list[float] = field(default_factory=list)  # arrival of every bot frame


class TwilioCaller:
    """One simulated phone call. Use as `async with TwilioCaller(url) as call:`.

    Like Twilio, it first asks the voice webhook for the call's TwiML and presents the stream
    parameters found there (caller, called, call, token) as it got them back; `token`
    overrides that (tests of refused tokens), and `auth_token` signs the webhook when the bot
    checks Twilio signatures.
    """

    def __init__(self, url: str, token: str | None = None, caller: str = "+15550100123",
                 params: dict[str, str] | None = None, call_sid: str | None = None,
                 auth_token: str = "") -> None:
        self.url = url
        self.token = token
        self.auth_token = auth_token
        self.caller = caller
        self.params = params or {}
        sid = call_sid or "CA" + uuid.uuid4().hex
        self.log = CallLog(call_sid=sid, stream_sid="MZ" + uuid.uuid4().hex)
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._sent_all = asyncio.Event()
        self._sent_all.set()
        self._bot_audio: list[tuple[float, bytes]] = []
        self._speech_ended_at: float | None = None
        self._tail_silence_s = 0.0
        self._audio_event = asyncio.Event()
        self._closed = asyncio.Event()
        self._seq = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    async def __aenter__(self) -> TwilioCaller:
        custom = {"caller": self.caller}
        if self.token is None:
            stream_url, custom = await stream_answer(self.url, self.log.call_sid, self.caller,
                                                     auth_token=self.auth_token)
            self.token = custom["token"]
            self.url = on_host_of(self.url, stream_url)
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(self.url, max_msg_size=1024 * 1024,
                                                  headers=sign(self.auth_token, self.url, {}))
        await self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        custom.update(self.params)
        if self.token:
            custom["token"] = self.token
        await self._send({
            "event": "start", "streamSid": self.log.stream_sid,
            "start": {"streamSid": self.log.stream_sid, "callSid": self.log.call_sid,
                      "accountSid": "AC" + "0" * 32, "tracks": ["inbound"],
                      "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                      "customParameters": custom},
        })
        self._tasks = [asyncio.create_task(self._sender()), asyncio.create_task(self._receiver())]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.hangup()

    # ---- sending ----------------------------------------------------------------------
    async def _send(self, message: dict) -> None:
        assert self._ws is not None
        self._seq += 1
        message.setdefault("sequenceNumber", str(self._seq))
        await self._ws.send_str(json.dumps(message))

    async def _sender(self) -> None:
        """Send a frame every 20 ms against a monotonic clock, speech or silence."""
        start = time.monotonic()
        index = 0
        with contextlib.suppress(ConnectionError, RuntimeError, aiohttp.ClientError):
            while not self._closed.is_set():
                due = start + index * FRAME_MS / 1000
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    lateness_ms = -delay * 1000
                    self.log.max_lateness_ms = max(self.log.max_lateness_ms, lateness_ms)
                    if lateness_ms > 40:
                        self.log.late_frames += 1
                if self._outbox.empty():
                    frame = SILENCE_FRAME
                    if not self._sent_all.is_set():
                        # The audio may end in silence: speech ended that much earlier.
                        self._speech_ended_at = time.monotonic() - self._tail_silence_s
                        self._sent_all.set()
                else:
                    frame = self._outbox.get_nowait()
                await self._send({"event": "media", "streamSid": self.log.stream_sid,
                                  "media": {"track": "inbound", "chunk": str(index),
                                            "timestamp": str(index * FRAME_MS),
                                            "payload": base64.b64encode(frame).decode()}})
                self.log.frames_sent += 1
                index += 1

    async def say_pcm(self, pcm8k: bytes) -> None:
        """Speak PCM16 8 kHz audio; returns when its last frame has been sent."""
        self._tail_silence_s = trailing_silence_s(pcm8k)
        mulaw = pcm16_to_mulaw(pcm8k)
        size = FRAME_BYTES_8K // 2
        if len(mulaw) % size:
            mulaw += SILENCE_FRAME[: size - len(mulaw) % size]
        self._sent_all.clear()
        self._speech_ended_at = None
        self._bot_audio.clear()
        for i in range(0, len(mulaw), size):
            self._outbox.put_nowait(mulaw[i : i + size])
        await self._sent_all.wait()

    async def press(self, digits: str, gap_s: float = 0.15) -> None:
        """Press keypad keys, as `dtmf` events."""
        self._bot_audio.clear()
        for digit in digits:
            await self._send({"event": "dtmf", "streamSid": self.log.stream_sid,
                              "dtmf": {"track": "inbound_track", "digit": digit}})
            await asyncio.sleep(gap_s)
        self._speech_ended_at = time.monotonic()

    # ---- receiving --------------------------------------------------------------------
    async def _receiver(self) -> None:
        assert self._ws is not None
        async for msg in self._ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            message = json.loads(msg.data)
            event = message.get("event")
            if event == "media":
                pcm = mulaw_to_pcm16(base64.b64decode(message["media"]["payload"]))
                now = time.monotonic()
                self._bot_audio.append((now, pcm))
                self.log.media_times.append(now)
                self._audio_event.set()
            elif event == "mark":
                # Twilio echoes a mark once the audio before it has played.
                await self._send({"event": "mark", "streamSid": self.log.stream_sid,
                                  "mark": {"name": message["mark"]["name"]}})
                self.log.marks_echoed += 1
            elif event == "clear":
                self.log.clears += 1
                self.log.events.append({"event": "clear", "at": time.monotonic()})
        self.log.closed_by_bot = True
        self.log.close_code = self._ws.close_code
        self._closed.set()
        self._audio_event.set()

    async def listen(self, timeout_s: float = 15.0, quiet_s: float = 0.8,
                     max_s: float = 30.0) -> BotReply:
        """Wait for the bot's reply: its first frame, then until `quiet_s` without audio
        (or `max_s` of continuous audio, e.g. hold music)."""
        reply = BotReply()
        if not await self.wait_bot_audio(timeout_s):
            return reply
        clears_before = self.log.clears
        give_up = time.monotonic() + max_s
        while self._bot_audio and not self._closed.is_set() and time.monotonic() < give_up:
            # The bot sends in real time; a gap of quiet_s means it finished speaking.
            since_last = time.monotonic() - self._bot_audio[-1][0]
            if since_last >= quiet_s:
                break
            await asyncio.sleep(min(0.05, quiet_s - since_last))
        return self.take_reply(reply, clears_before)

    def take_reply(self, reply: BotReply, clears_before: int) -> BotReply:
        """Move the bot audio heard so far into `reply` (with its latency and whether a
        `clear` arrived since `clears_before`)."""
        frames, self._bot_audio = self._bot_audio, []
        if frames:
            reply.audio = b"".join(pcm for _, pcm in frames)
            reply.first_audio_at, reply.last_audio_at = frames[0][0], frames[-1][0]
            if self._speech_ended_at is not None:
                reply.latency_ms = round((frames[0][0] - self._speech_ended_at) * 1000, 1)
        reply.interrupted = self.log.clears > clears_before
        return reply

    async def wait_bot_audio(self, timeout_s: float = 15.0) -> bool:
        """Wait until the bot starts sending audio (without consuming it)."""
        deadline = time.monotonic() + timeout_s
        while not self._bot_audio and not self._closed.is_set():
            self._audio_event.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._audio_event.wait(), remaining)
        return bool(self._bot_audio)

    def drop_audio_before_speech_end(self) -> None:
        """Forget bot audio that arrived before the caller's last utterance ended (after
        talking over the bot, the old answer's frames are not the reply to this turn)."""
        ended = self._speech_ended_at or time.monotonic()
        self._bot_audio[:] = [frame for frame in self._bot_audio if frame[0] >= ended]

    def bot_audio_since(self, t: float) -> float:
        """Seconds of bot audio received after monotonic time `t`."""
        return sum(len(p) for at, p in self._bot_audio if at >= t) / 2 / 8000

    async def wait_closed(self, timeout_s: float = 15.0) -> bool:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._closed.wait(), timeout_s)
        return self._closed.is_set()

    async def hangup(self) -> None:
        """Send `stop` and close, as Twilio does when the caller hangs up."""
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError, aiohttp.ClientError):
                await self._send({"event": "stop", "streamSid": self.log.stream_sid,
                                  "stop": {"accountSid": "AC" + "0" * 32, "callSid": self.log.call_sid}})
            await self._ws.close()
        self._closed.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._session is not None:
            await self._session.close()


def trailing_silence_s(pcm: bytes, rate: int = 8000, level: float = 300.0) -> float:
    """Seconds of near-silence at the end of PCM16 audio (10 ms windows below `level` RMS)."""
    samples = np.frombuffer(pcm, "<i2").astype(np.float64)
    window = rate // 100
    count = len(samples) // window
    if count == 0:
        return 0.0
    levels = np.sqrt(np.mean(samples[: count * window].reshape(count, window) ** 2, axis=1))
    loud = np.nonzero(levels >= level)[0]
    quiet_windows = count if loud.size == 0 else count - 1 - int(loud[-1])
    return (quiet_windows * window + len(samples) - count * window) / rate


def rms(pcm: bytes) -> float:
    """Root-mean-square level of PCM16 audio (0 for silence)."""
    samples = np.frombuffer(pcm, "<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
