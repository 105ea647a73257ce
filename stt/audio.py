"""Audio formats: G.711 mu-law <-> PCM16, resampling (soxr), framing into 10/20/30 ms frames.

All PCM here is signed 16-bit little-endian mono, and every frame carries its sample rate.
"""

from __future__ import annotations

import sys
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

SUPPORTED_RATES = (8000, 16000, 22050, 32000, 48000)  # 32 kHz: Festival HTS voices
FRAME_MS = (10, 20, 30)

_BIAS = 0x84
_CLIP = 32635


class AudioFormatError(ValueError):
    """Audio that is not what a function expects (odd byte count, bad rate, empty frame...)."""


def _build_ulaw_tables() -> tuple[np.ndarray, np.ndarray]:
    # G.711 section 3 (mu-law) as in the reference g711.c: 14-bit magnitude, bias 33, 8 segments.
    codes = np.arange(256, dtype=np.int32)
    inv = ~codes & 0xFF
    mag = (((inv & 0x0F) << 3) + _BIAS) << ((inv & 0x70) >> 4)
    decode = np.where(inv & 0x80, _BIAS - mag, mag - _BIAS).astype("<i2")

    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 2  # arithmetic shift, as in g711.c
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag14 = np.minimum(np.abs(pcm), _CLIP >> 2) + (_BIAS >> 2)
    seg = np.searchsorted(np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]), mag14)
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((mag14 >> (seg + 1)) & 0x0F)) ^ mask
    # Index by the int16 value's unsigned bit pattern (0..65535).
    encode = np.roll(code.astype(np.uint8), -32768)
    return decode, encode


_ULAW_DECODE, _ULAW_ENCODE = _build_ulaw_tables()


def _check_pcm(pcm: bytes, what: str = "PCM16 audio") -> None:
    if len(pcm) % 2:
        raise AudioFormatError(
            f"{what} must have an even number of bytes (16-bit samples), got {len(pcm)} bytes"
        )


def check_rate(sample_rate: int) -> int:
    """Return the rate if supported, else raise AudioFormatError naming the supported rates."""
    if sample_rate not in SUPPORTED_RATES:
        rates = ", ".join(str(r) for r in SUPPORTED_RATES)
        raise AudioFormatError(f"unsupported sample rate {sample_rate} Hz; supported: {rates}")
    return sample_rate


def _samples(pcm: bytes) -> np.ndarray:
    arr = np.frombuffer(pcm, dtype="<i2")
    return arr if sys.byteorder == "little" else arr.astype(np.int16)


def mulaw_to_pcm16(data: bytes) -> bytes:
    """Decode G.711 mu-law bytes (one per sample) to PCM16, bit-exact with the ITU table."""
    return _ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)].tobytes()


def pcm16_to_mulaw(pcm: bytes) -> bytes:
    """Encode PCM16 to G.711 mu-law (one byte per sample), bit-exact with the reference coder."""
    _check_pcm(pcm)
    return _ULAW_ENCODE[np.frombuffer(pcm, dtype="<u2")].tobytes()


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample a whole PCM16 buffer with soxr (high quality). Use `Resampler` for streams."""
    _check_pcm(pcm)
    check_rate(from_rate)
    check_rate(to_rate)
    if from_rate == to_rate or not pcm:
        return bytes(pcm)
    out = soxr.resample(_samples(pcm), from_rate, to_rate, quality="HQ")
    return out.astype("<i2", copy=False).tobytes()


class Resampler:
    """Streaming soxr resampler: chunks in, chunks out, with no edge clicks between chunks.

    The filter delays output by a few milliseconds; `flush()` returns what is held back.
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate = check_rate(from_rate)
        self.to_rate = check_rate(to_rate)
        self._stream = (
            soxr.ResampleStream(from_rate, to_rate, 1, dtype="int16", quality="HQ")
            if from_rate != to_rate
            else None
        )

    def process(self, pcm: bytes) -> bytes:
        _check_pcm(pcm)
        if self._stream is None:
            return bytes(pcm)
        return self._stream.resample_chunk(_samples(pcm).copy()).astype("<i2").tobytes()

    def flush(self) -> bytes:
        if self._stream is None:
            return b""
        return self._stream.resample_chunk(np.zeros(0, np.int16), last=True).astype("<i2").tobytes()


def frame_bytes(sample_rate: int, frame_ms: int) -> int:
    """Bytes of PCM16 in one frame; raises if the frame is not a whole number of samples."""
    check_rate(sample_rate)
    if frame_ms not in FRAME_MS:
        raise AudioFormatError(f"frame length must be 10, 20 or 30 ms, got {frame_ms} ms")
    samples, rest = divmod(sample_rate * frame_ms, 1000)
    if rest:
        raise AudioFormatError(
            f"a {frame_ms} ms frame at {sample_rate} Hz is not a whole number of samples"
        )
    return samples * 2


@dataclass(frozen=True)
class AudioFrame:
    """A non-empty chunk of PCM16 mono audio and its sample rate."""

    pcm: bytes
    sample_rate: int

    def __post_init__(self) -> None:
        check_rate(self.sample_rate)
        if not self.pcm:
            raise AudioFormatError("empty audio frame")
        _check_pcm(self.pcm, "an audio frame")

    @property
    def duration_ms(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate * 1000.0


def split_frames(pcm: bytes, sample_rate: int, frame_ms: int = 20) -> list[AudioFrame]:
    """Cut PCM16 into frames of `frame_ms`; the last partial frame is zero-padded."""
    _check_pcm(pcm)
    size = frame_bytes(sample_rate, frame_ms)
    if len(pcm) % size:
        pcm = bytes(pcm) + b"\x00" * (size - len(pcm) % size)
    return [AudioFrame(pcm[i : i + size], sample_rate) for i in range(0, len(pcm), size)]


class FrameBuffer:
    """Streaming re-framer: push chunks of any size, get whole frames, keep the remainder."""

    def __init__(self, sample_rate: int, frame_ms: int = 20) -> None:
        self.sample_rate = sample_rate
        self.frame_ms = frame_ms
        self._size = frame_bytes(sample_rate, frame_ms)
        self._pending = bytearray()

    def push(self, pcm: bytes) -> list[AudioFrame]:
        _check_pcm(pcm)
        self._pending += pcm
        whole = len(self._pending) - len(self._pending) % self._size
        frames = [
            AudioFrame(bytes(self._pending[i : i + self._size]), self.sample_rate)
            for i in range(0, whole, self._size)
        ]
        del self._pending[:whole]
        return frames

    @property
    def pending_bytes(self) -> int:
        return len(self._pending)

    def flush(self) -> list[AudioFrame]:
        """The remainder as one zero-padded frame (or nothing), emptying the buffer."""
        if not self._pending:
            return []
        frames = split_frames(bytes(self._pending), self.sample_rate, self.frame_ms)
        self._pending.clear()
        return frames


def read_wav(path: Path) -> tuple[bytes, int]:
    """Read a PCM WAV file (8/16/24/32-bit, any channels) as PCM16 mono and its rate."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(f"{path}: not a PCM WAV file ({exc})") from exc
    if width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.int32) - 128) << 8
    elif width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.int32)
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        data = ((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8) >> 16
    elif width == 4:
        data = np.frombuffer(raw, "<i4") >> 16
    else:
        raise AudioFormatError(f"{path}: unsupported sample width {width} bytes")
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).astype(np.int32)
    return data.astype("<i2").tobytes(), rate


def to_rate(pcm: bytes, from_rate: int, to_rate_hz: int) -> bytes:
    """Resample from any rate soxr accepts (e.g. 44100 or 11025 WAV files) to a supported rate."""
    _check_pcm(pcm)
    check_rate(to_rate_hz)
    if from_rate == to_rate_hz or not pcm:
        return bytes(pcm)
    if from_rate <= 0:
        raise AudioFormatError(f"invalid sample rate {from_rate} Hz")
    out = soxr.resample(_samples(pcm), from_rate, to_rate_hz, quality="HQ")
    return out.astype("<i2", copy=False).tobytes()
