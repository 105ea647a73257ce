"""Output formats of the speech service and WAV files for them (codecs from `stt/audio.py`)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from stt.audio import pcm16_to_mulaw

Fmt = Literal["mulaw8k", "pcm8k", "pcm16k"]


@dataclass(frozen=True)
class OutputFormat:
    name: str
    sample_rate: int
    sample_width: int  # bytes per sample
    silence: bytes  # one sample of silence
    wav_tag: int  # WAVE_FORMAT_PCM = 1, WAVE_FORMAT_MULAW = 7

    def bytes_per_ms(self) -> float:
        return self.sample_rate * self.sample_width / 1000

    def frame_bytes(self, frame_ms: int) -> int:
        return int(self.sample_rate * frame_ms / 1000) * self.sample_width

    def duration_ms(self, data: bytes) -> float:
        return len(data) / self.bytes_per_ms()


FORMATS: dict[str, OutputFormat] = {
    "mulaw8k": OutputFormat("mulaw8k", 8000, 1, b"\xff", 7),
    "pcm8k": OutputFormat("pcm8k", 8000, 2, b"\x00\x00", 1),  # Asterisk AudioSocket (slin)
    "pcm16k": OutputFormat("pcm16k", 16000, 2, b"\x00\x00", 1),
}


def output_format(name: str) -> OutputFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown audio format {name!r}; use one of: {', '.join(FORMATS)}") from None


def encode(pcm: bytes, fmt: str) -> bytes:
    """PCM16 already at the format's rate -> the format's bytes."""
    return pcm16_to_mulaw(pcm) if fmt == "mulaw8k" else bytes(pcm)


def wav_bytes(data: bytes, fmt: str) -> bytes:
    """A complete WAV file for audio in `fmt` (mu-law files use WAVE_FORMAT_MULAW)."""
    spec = output_format(fmt)
    block = spec.sample_width
    fmt_chunk = struct.pack(
        "<HHIIHH", spec.wav_tag, 1, spec.sample_rate, spec.sample_rate * block, block, block * 8
    )
    if spec.wav_tag != 1:
        fmt_chunk += struct.pack("<H", 0)  # cbSize: WAVEFORMATEX for non-PCM formats
    chunks = b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk
    if spec.wav_tag != 1:  # non-PCM WAV files carry a fact chunk with the sample count
        chunks += b"fact" + struct.pack("<II", 4, len(data) // block)
    pad = b"\x00" if len(data) % 2 else b""
    chunks += b"data" + struct.pack("<I", len(data)) + data + pad
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def write_wav(path: Path, data: bytes, fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(data, fmt))
