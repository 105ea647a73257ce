"""Every speech engine, for real: phone-band, levelled audio, digit-group pauses, speaking rate."""

from __future__ import annotations

import numpy as np
import pytest

from stt.audio import mulaw_to_pcm16
from tts.cache import AudioCache
from tts.engines import ENGINES
from tts.phone_audio import measure
from tts.pool import PooledSynthesizer
from tts.service import SpeechService
from tts.synthesizer import Audio, VoiceParams

VOICES = {"pyttsx3": "en-us", "piper": "en_US-joe-medium", "festival": "cmu_us_slt_arctic_hts",
          "flite": "kal16"}
REFERENCE = "Your reference is CMP-2024-001."  # said "C M P, two zero two four, zero zero one"
PAUSE_MS = 400


def longest_silence_ms(audio: Audio, threshold: float = 0.003) -> float:
    """The longest run of 10 ms frames quieter than `threshold` of full scale (RMS)."""
    values = np.frombuffer(audio.pcm, "<i2").astype(np.float64) / 32768
    frame = audio.sample_rate // 100
    frames = values[: len(values) // frame * frame].reshape(-1, frame)
    quiet = np.sqrt(np.mean(frames**2, axis=1)) < threshold
    best = run = 0
    for q in quiet[3:-3]:  # not the lead-in and tail every engine has
        run = run + 1 if q else 0
        best = max(best, run)
    return best * 10.0


def band_energy_share(audio: Audio, low: float, high: float) -> float:
    values = np.frombuffer(audio.pcm, "<i2").astype(np.float64)
    power = np.abs(np.fft.rfft(values)) ** 2
    freqs = np.fft.rfftfreq(len(values), 1 / audio.sample_rate)
    return float(power[(freqs >= low) & (freqs <= high)].sum() / power.sum())


async def over_the_phone(params: VoiceParams, text: str) -> Audio:
    """`text` as the speech service streams it to a phone caller (8 kHz mu-law), decoded."""
    service = SpeechService(PooledSynthesizer(params, workers=1), AudioCache(None, 0), params,
                            group_pause_ms=PAUSE_MS)
    async with service:
        mulaw = await service.synthesize(text, "mulaw8k")
    return Audio(mulaw_to_pcm16(mulaw), 8000)


async def speak(params: VoiceParams, text: str, rate: int = 8000) -> Audio:
    synth = PooledSynthesizer(params, workers=1)
    await synth.start()
    try:
        return await synth.synthesize(text, rate)
    finally:
        await synth.close()


@pytest.mark.parametrize("engine", ENGINES)
async def test_each_engine_speaks_phone_band_audio_at_one_level_with_pauses_between_digit_groups(
    engine: str,
) -> None:
    audio = await over_the_phone(VoiceParams(VOICES[engine], engine=engine), REFERENCE)
    assert audio.duration_s > 2.0
    level = measure(audio.pcm, 8000)
    assert level.peak_dbfs <= -0.8  # never clipped (the limiter's ceiling is -1 dBFS, + mu-law)
    assert -21.0 <= level.rms_dbfs <= -19.0  # every voice as loud as every other
    # Band-limited for the phone line: next to nothing below 60 Hz or above 3500 Hz.
    assert band_energy_share(audio, 0, 60) < 0.002
    assert band_energy_share(audio, 3500, 4000) < 0.002
    # The grouping is audible whatever the engine does with a comma.
    assert longest_silence_ms(audio) >= PAUSE_MS - 60


@pytest.mark.parametrize("engine", ["piper", "festival", "flite"])
async def test_speaking_rate_is_set_per_engine(engine: str) -> None:
    text = "Thank you for calling Harbour Bank, how can I help you today?"
    normal = await speak(VoiceParams(VOICES[engine], engine=engine), text, 16000)
    faster = await speak(VoiceParams(VOICES[engine], engine=engine, speed=1.5), text, 16000)
    assert faster.duration_s < 0.85 * normal.duration_s, (faster.duration_s, normal.duration_s)


async def test_a_missing_voice_is_reported_with_how_to_install_it() -> None:
    synth = PooledSynthesizer(VoiceParams("en_GB-nobody-low", engine="piper"), workers=1)
    with pytest.raises(Exception, match="unknown Piper voice 'en_GB-nobody-low'"):
        await synth.start()
    await synth.close()
