"""Audio formats: G.711 mu-law against the reference coder, soxr resampling, framing."""

from __future__ import annotations

import math
import warnings
import wave

import numpy as np
import pytest

from stt.audio import (
    SUPPORTED_RATES,
    AudioFormatError,
    AudioFrame,
    FrameBuffer,
    Resampler,
    mulaw_to_pcm16,
    pcm16_to_mulaw,
    read_wav,
    resample,
    split_frames,
    to_rate,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # Python 3.10's C implementation of the G.711 reference coder

ALL_PCM = np.arange(-32768, 32768, dtype="<i2").tobytes()


def _pcm(values) -> bytes:
    return np.asarray(values, dtype="<i2").tobytes()


def _tone(freq: float, rate: int, seconds: float = 1.0, amp: float = 10000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * math.pi * freq * t)).astype(np.int16)


def test_mulaw_decode_matches_itu_table():
    # G.711 Table 2a/2b: code -> decoded value (the 14-bit table value, e.g. 495 for 0xBF, x4).
    expected = {
        0xFF: 0, 0x7F: 0, 0xFE: 8, 0x7E: -8, 0xF0: 120, 0xEF: 132, 0xE0: 372,
        0xDF: 396, 0xCF: 924, 0xBF: 1980, 0xAF: 4092, 0x9F: 8316, 0x8F: 16764,
        0x80: 32124, 0x00: -32124, 0x0F: -16764,
    }
    decoded = np.frombuffer(mulaw_to_pcm16(bytes(expected)), "<i2")
    assert dict(zip(expected, decoded.tolist(), strict=True)) == expected


def test_mulaw_bit_exact_with_reference_coder_on_every_value():
    codes = bytes(range(256))
    assert mulaw_to_pcm16(codes) == audioop.ulaw2lin(codes, 2)
    assert pcm16_to_mulaw(ALL_PCM) == audioop.lin2ulaw(ALL_PCM, 2)


def test_mulaw_encode_extremes_and_round_trip():
    assert pcm16_to_mulaw(_pcm([0, 32767, -32768])) == bytes([0xFF, 0x80, 0x00])
    # Every code except negative zero survives decode -> encode.
    codes = bytes(c for c in range(256) if c != 0x7F)
    assert pcm16_to_mulaw(mulaw_to_pcm16(codes)) == codes
    assert mulaw_to_pcm16(b"") == b"" and pcm16_to_mulaw(b"") == b""


def test_mulaw_rejects_odd_byte_count():
    with pytest.raises(AudioFormatError, match="even number of bytes.*3 bytes"):
        pcm16_to_mulaw(b"\x00\x01\x02")


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000), (48000, 8000), (22050, 16000)])
def test_resample_keeps_a_tone_and_the_length(src, dst):
    out = np.frombuffer(resample(_tone(440, src).tobytes(), src, dst), "<i2").astype(float)
    assert abs(len(out) - dst) <= 1
    spectrum = np.abs(np.fft.rfft(out[dst // 10 : -dst // 10]))
    peak_hz = np.argmax(spectrum) * dst / (len(out) - 2 * (dst // 10))
    assert abs(peak_hz - 440) < 3
    assert 0.9 < np.sqrt(np.mean(out**2)) / (10000 / math.sqrt(2)) < 1.05


def test_resample_removes_content_above_the_new_nyquist():
    out = np.frombuffer(resample(_tone(6000, 16000).tobytes(), 16000, 8000), "<i2").astype(float)
    assert np.sqrt(np.mean(out**2)) < 100  # a 6 kHz tone cannot exist at 8 kHz


def test_resample_errors():
    with pytest.raises(AudioFormatError, match="unsupported sample rate 44100 Hz"):
        resample(b"\x00\x00", 44100, 8000)
    with pytest.raises(AudioFormatError, match="even number"):
        resample(b"\x00", 8000, 16000)
    assert resample(b"", 8000, 16000) == b""


def test_streaming_resampler_equals_whole_buffer_resampling():
    pcm = _tone(300, 8000, 0.5).tobytes()
    stream = Resampler(8000, 16000)
    pieces = [stream.process(pcm[i : i + 320]) for i in range(0, len(pcm), 320)]
    joined = np.frombuffer(b"".join(pieces) + stream.flush(), "<i2").astype(int)
    whole = np.frombuffer(resample(pcm, 8000, 16000), "<i2").astype(int)
    assert abs(len(joined) - len(whole)) <= 2
    n = min(len(joined), len(whole))
    assert np.max(np.abs(joined[:n] - whole[:n])) <= 2


def test_frame_carries_rate_and_duration():
    frame = AudioFrame(b"\x00\x00" * 160, 8000)
    assert frame.duration_ms == 20.0 and frame.sample_rate == 8000
    with pytest.raises(AudioFormatError, match="empty audio frame"):
        AudioFrame(b"", 8000)
    with pytest.raises(AudioFormatError, match="unsupported sample rate 11025"):
        AudioFrame(b"\x00\x00", 11025)
    with pytest.raises(AudioFormatError, match="even number of bytes"):
        AudioFrame(b"\x00\x00\x00", 8000)


@pytest.mark.parametrize("rate", [8000, 16000, 48000])
@pytest.mark.parametrize("frame_ms", [10, 20, 30])
def test_split_frames_pads_the_last_frame(rate, frame_ms):
    samples = rate * frame_ms // 1000
    pcm = _pcm(np.arange(samples * 2 + 7) % 1000 + 1)
    frames = split_frames(pcm, rate, frame_ms)
    assert len(frames) == 3
    assert all(len(f.pcm) == samples * 2 and f.sample_rate == rate for f in frames)
    assert b"".join(f.pcm for f in frames)[: len(pcm)] == pcm
    assert frames[-1].pcm[14:] == b"\x00" * (samples * 2 - 14)


def test_split_frames_errors():
    with pytest.raises(AudioFormatError, match="10, 20 or 30 ms, got 25"):
        split_frames(b"\x00\x00" * 400, 8000, 25)
    with pytest.raises(AudioFormatError, match="10 ms frame at 22050 Hz is not a whole number"):
        split_frames(b"\x00\x00" * 400, 22050, 10)
    assert [f.duration_ms for f in split_frames(b"\x00\x00" * 441, 22050, 20)] == [20.0]
    assert split_frames(b"", 8000) == []


def test_frame_buffer_reframes_any_chunking():
    pcm = _pcm(np.arange(1600) % 3000)
    buf = FrameBuffer(8000, 20)
    frames = []
    for size in (2, 318, 322, 1000, 10, 1548):
        chunk, pcm_rest = pcm[:size], pcm[size:]
        frames += buf.push(chunk)
        pcm = pcm_rest
    assert [len(f.pcm) for f in frames] == [320] * 10
    assert buf.pending_bytes == 0
    assert b"".join(f.pcm for f in frames) == _pcm(np.arange(1600) % 3000)
    assert buf.push(b"\x01\x00" * 10) == [] and buf.pending_bytes == 20
    (last,) = buf.flush()
    assert last.pcm[:20] == b"\x01\x00" * 10 and len(last.pcm) == 320
    with pytest.raises(AudioFormatError):
        buf.push(b"\x00")


def test_supported_rates_are_the_agreed_ones():
    assert SUPPORTED_RATES == (8000, 16000, 22050, 32000, 48000)  # 32000: Festival HTS (tts)


def test_read_wav_downmixes_and_any_rate_converts(tmp_path):
    stereo = np.stack([_tone(440, 44100, 0.2), _tone(440, 44100, 0.2)], axis=1)
    path = tmp_path / "s.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(stereo.astype("<i2").tobytes())
    pcm, rate = read_wav(path)
    assert rate == 44100 and len(pcm) == 2 * 8820
    assert np.array_equal(np.frombuffer(pcm, "<i2"), stereo[:, 0])
    assert abs(len(to_rate(pcm, rate, 16000)) // 2 - 3200) <= 1
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFFnope")
    with pytest.raises(AudioFormatError, match="not a PCM WAV file"):
        read_wav(bad)
