"""Endpointing on webrtcvad: when a caller starts talking, when the turn ends, and no input.

The clock is the audio fed so far (not the wall clock), so results are reproducible and a
stalled stream never fires timers by itself.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass

import numpy as np
import webrtcvad

from stt.audio import AudioFormatError, AudioFrame, FrameBuffer

VAD_FRAME_MS = 10
# A voiced 10 ms frame only extends the utterance when the last CONFIRM_WINDOW frames hold
# at least CONFIRM_VOICED voiced ones: isolated clicks and noise bursts do not keep a turn open.
CONFIRM_WINDOW = 10
CONFIRM_VOICED = 4
# webrtcvad calls loud stationary noise speech (at 10 dB SNR it flags over 90 % of pink-noise
# frames), so a frame must also be `noise_gate_db` (to start) or `hold_gate_db` (to go on)
# above the noise floor: a low percentile of the levels of the last 3 s.
NOISE_WINDOW = 300
NOISE_PERCENTILE = 10


@dataclass(frozen=True)
class SpeechStarted:
    """Speech detected; `at_s` is when it was detected, `start_s` where it began.

    `audio` is the utterance so far, pre-roll included, to prime a streaming recognizer.
    """

    at_s: float
    start_s: float = 0.0
    audio: bytes = b""


@dataclass(frozen=True)
class SpeechEnded:
    """A caller turn: its audio (pre-roll and trailing silence included) and boundaries."""

    audio: bytes
    sample_rate: int
    start_s: float
    end_s: float
    detected_at_s: float
    truncated: bool = False  # cut at max_utterance_s, the caller may still be talking


@dataclass(frozen=True)
class NoInput:
    """No speech started for `no_input_timeout_s` since the last reset or turn."""

    at_s: float


VadEvent = SpeechStarted | SpeechEnded | NoInput


class Endpointer:
    """Turn a stream of audio frames into SpeechStarted / SpeechEnded / NoInput events.

    Speech starts when `speech_start_ms` of the last 1.5 x `speech_start_ms` are voiced; it
    ends after `end_silence_ms` without voiced audio, or at `max_utterance_s`. `NoInput` fires
    every `no_input_timeout_s` without speech (restart the timer with `reset_no_input`).
    `tail_db`: frames more than this below the turn's loudest are not part of it.
    """

    def __init__(
        self,
        sample_rate: int = 8000,
        aggressiveness: int = 2,
        speech_start_ms: int = 120,
        end_silence_ms: int = 500,
        max_utterance_s: float = 20.0,
        no_input_timeout_s: float = 8.0,
        preroll_ms: int = 300,
        noise_gate_db: float = 3.0,
        hold_gate_db: float = 6.0,
        tail_db: float = 35.0,
    ) -> None:
        if sample_rate not in (8000, 16000):
            raise AudioFormatError(f"the endpointer runs at 8000 or 16000 Hz, not {sample_rate}")
        if not 0 <= aggressiveness <= 3:
            raise ValueError(f"aggressiveness must be 0-3, got {aggressiveness}")
        if speech_start_ms < VAD_FRAME_MS or preroll_ms < 0 or max_utterance_s <= 0:
            raise ValueError("speech_start_ms >= 10, preroll_ms >= 0 and max_utterance_s > 0")
        self.sample_rate = sample_rate
        self._vad = webrtcvad.Vad(aggressiveness)
        self._frames = FrameBuffer(sample_rate, VAD_FRAME_MS)
        self._start_frames = -(-speech_start_ms // VAD_FRAME_MS)
        # Speech starts when speech_start_ms of the last 1.5 x speech_start_ms were voiced.
        self._start_window = max(self._start_frames, self._start_frames * 3 // 2)
        self._preroll_frames = preroll_ms // VAD_FRAME_MS
        self._max_frames = int(max_utterance_s * 1000 / VAD_FRAME_MS)
        self._no_input_frames = int(no_input_timeout_s * 1000 / VAD_FRAME_MS)
        self.set_end_silence(end_silence_ms)
        self._n = 0  # 10 ms frames seen: the clock
        self._history: collections.deque[tuple[bytes, bool]] = collections.deque(
            maxlen=self._preroll_frames + self._start_window
        )
        self._recent: collections.deque[bool] = collections.deque(maxlen=CONFIRM_WINDOW)
        self._gate_db = noise_gate_db
        self._levels: collections.deque[float] = collections.deque(maxlen=NOISE_WINDOW)
        self._floor_db = -math.inf
        self._tail_db = tail_db
        self._hold_gate_db = hold_gate_db
        self._peak_db = -math.inf
        self._track: list[tuple[int, float, bool]] = []  # (frame, level, voiced) this turn
        self._in_speech = False
        self._utterance = bytearray()
        self._start = 0  # frame index of the first voiced frame
        self._last_voiced = 0  # frame index after the last confirmed voiced frame
        self._idle_since = 0

    @property
    def now_s(self) -> float:
        """Seconds of audio processed."""
        return self._n * VAD_FRAME_MS / 1000.0

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    @property
    def voiced_ms(self) -> float:
        """The current utterance up to its last voiced frame, in ms (0 outside speech): how
        long the caller has actually been talking, without the trailing silence."""
        return float((self._last_voiced - self._start) * VAD_FRAME_MS) if self._in_speech else 0.0

    @property
    def silent_ms(self) -> float:
        """How long the caller has been quiet within the current turn, in ms (0 outside
        speech): a pause that may yet end the turn."""
        return float((self._n - self._last_voiced) * VAD_FRAME_MS) if self._in_speech else 0.0

    def set_end_silence(self, ms: int) -> None:
        """Trailing silence that ends a turn from now on (e.g. short after a yes/no question)."""
        if ms < VAD_FRAME_MS:
            raise ValueError(f"end silence must be at least {VAD_FRAME_MS} ms, got {ms}")
        self._end_frames = -(-ms // VAD_FRAME_MS)

    def reset_no_input(self) -> None:
        """Restart the no-input timer (e.g. when the bot stops talking)."""
        self._idle_since = self._n

    def process(self, frame: AudioFrame) -> list[VadEvent]:
        """Feed audio (any frame length at this endpointer's rate); return the events it caused."""
        if frame.sample_rate != self.sample_rate:
            raise AudioFormatError(
                f"frame at {frame.sample_rate} Hz fed to an endpointer at {self.sample_rate} Hz"
            )
        events: list[VadEvent] = []
        for sub in self._frames.push(frame.pcm):
            event = self._step(sub.pcm)
            if event is not None:
                events.append(event)
        return events

    def _step(self, pcm: bytes) -> VadEvent | None:
        level = _level_db(pcm)
        self._levels.append(level)
        if self._n % 10 == 0 or len(self._levels) < 20:
            self._floor_db = float(np.percentile(self._levels, NOISE_PERCENTILE))
        if self._in_speech:
            threshold = max(self._floor_db + self._hold_gate_db, self._peak_db - self._tail_db)
        else:
            threshold = self._floor_db + self._gate_db
        voiced = level >= threshold and self._vad.is_speech(pcm, self.sample_rate)
        if self._in_speech:
            self._track.append((self._n, level, voiced))
            if voiced:
                self._peak_db = max(self._peak_db, level)
        self._n += 1
        self._recent.append(voiced)
        if not self._in_speech:
            self._history.append((pcm, voiced))
            return self._maybe_start() or self._maybe_no_input()
        self._utterance += pcm
        if voiced and sum(self._recent) >= CONFIRM_VOICED:
            self._last_voiced = self._n
        silent = self._n - self._last_voiced
        # Speech that resumes right at the deadline is voiced a few frames before it can be
        # confirmed: wait for the confirmation (at most CONFIRM_WINDOW frames) instead of
        # ending the turn and starting a new one at once (a weak word under 10 dB noise
        # followed by a pause otherwise split "press 1 ... or 2 to forward").
        if silent >= self._end_frames and not (voiced and silent < self._end_frames + CONFIRM_WINDOW):
            return self._end(truncated=False)
        if self._n - self._start >= self._max_frames:
            self._last_voiced = self._n
            return self._end(truncated=True)
        return None

    def _maybe_start(self) -> SpeechStarted | None:
        window = list(self._history)[-self._start_window :]
        if sum(v for _, v in window) < self._start_frames:
            return None
        first_voiced = next(i for i, (_, v) in enumerate(window) if v)
        self._start = self._n - len(window) + first_voiced
        history = list(self._history)
        keep = min(len(history), len(window) - first_voiced + self._preroll_frames)
        self._utterance = bytearray(b"".join(p for p, _ in history[-keep:]))
        self._last_voiced = self._n
        base = self._n - len(window)
        self._track = [(base + i, _level_db(p), v) for i, (p, v) in enumerate(window)]
        self._peak_db = max(level for _, level, v in self._track if v)
        self._in_speech = True
        self._history.clear()
        return SpeechStarted(
            at_s=self.now_s, start_s=self._seconds(self._start), audio=bytes(self._utterance)
        )

    def _maybe_no_input(self) -> NoInput | None:
        if self._n - self._idle_since >= self._no_input_frames:
            self._idle_since = self._n
            return NoInput(at_s=self.now_s)
        return None

    def _end(self, truncated: bool) -> SpeechEnded:
        # Now that the utterance's peak is known, its start is the first voiced frame within
        # tail_db of it: low breaths and clicks before the first word do not count.
        start = next(
            (i for i, level, v in self._track if v and level >= self._peak_db - self._tail_db),
            self._start,
        )
        end = self._last_voiced if truncated else self._refine_end()
        event = SpeechEnded(
            audio=bytes(self._utterance),
            sample_rate=self.sample_rate,
            start_s=self._seconds(start),
            end_s=self._seconds(end),
            detected_at_s=self.now_s,
            truncated=truncated,
        )
        self._in_speech = False
        self._utterance = bytearray()
        self._track = []
        self._recent.clear()
        self._idle_since = self._n
        return event

    def _refine_end(self) -> int:
        # webrtcvad often drops a soft final consonant ("press", "left"): extend the end over
        # frames that continue at speech level right after the last voiced one (gaps <= 60 ms, a stop closure).
        threshold = max(self._floor_db + self._hold_gate_db, self._peak_db - self._tail_db)
        end, gap = self._last_voiced, 0
        for i, level, _ in self._track:
            if i < self._last_voiced:
                continue
            if level >= threshold:
                end, gap = i + 1, 0
            else:
                gap += 1
                if gap > 6:
                    break
        return end

    @property
    def noise_floor_db(self) -> float:
        """Current estimate of the background level (dB re one PCM16 step)."""
        return self._floor_db

    def _seconds(self, frame_index: int) -> float:
        return frame_index * VAD_FRAME_MS / 1000.0


def _level_db(pcm: bytes) -> float:
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    return 10.0 * math.log10(float(np.dot(x, x)) / len(x) + 1.0)
