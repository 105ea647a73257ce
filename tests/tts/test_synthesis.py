"""Real pyttsx3 on espeak-ng: audio content, formats, voices, streaming, prerendering."""

from __future__ import annotations

import asyncio
import struct
import wave
from io import BytesIO
from pathlib import Path

import pytest

from tts.formats import wav_bytes
from tts.pool import PooledSynthesizer
from tts.service import SpeechService
from tts.synthesizer import TtsError, VoiceParams

from .conftest import make_service, rms, samples

SENTENCE = "Thank you for calling the bank, how can I help you today?"  # 12 words


@pytest.mark.parametrize(("fmt", "rate", "width"), [("mulaw8k", 8000, 1), ("pcm16k", 16000, 2)])
async def test_audio_is_speech_of_plausible_length_in_the_right_format(
    service: SpeechService, fmt: str, rate: int, width: int
) -> None:
    data = await service.synthesize(SENTENCE, fmt)
    seconds = len(data) / width / rate
    expected = 12 / 175 * 60  # words at 175 words per minute
    assert 0.5 * expected < seconds < 2.0 * expected, seconds
    assert rms(data, fmt) > 500  # speech, not silence or noise floor
    # Speech has pauses: the quietest 20 ms is far below the loudest.
    values = samples(data, fmt)
    frame = rate // 50
    energies = [abs(values[i : i + frame]).mean() for i in range(0, len(values) - frame, frame)]
    assert min(energies) < 0.1 * max(energies)


async def test_native_rate_and_resampling() -> None:
    synth = PooledSynthesizer(VoiceParams(), workers=1)
    await synth.start()
    try:
        native = await synth.synthesize("Hello there.")
        phone = await synth.synthesize("Hello there.", 8000)
    finally:
        await synth.close()
    assert native.sample_rate == 22050 and phone.sample_rate == 8000
    assert abs(native.duration_s - phone.duration_s) < 0.01


async def test_speaking_rate_from_the_configuration_changes_the_duration(tmp_path: Path) -> None:
    durations = {}
    for wpm in (120, 260):
        synth = PooledSynthesizer(VoiceParams(rate_wpm=wpm), workers=1)
        await synth.start()
        try:
            durations[wpm] = (await synth.synthesize(SENTENCE, 16000)).duration_s
        finally:
            await synth.close()
    assert durations[120] > 1.6 * durations[260], durations


async def test_unknown_voice_is_a_clear_error() -> None:
    synth = PooledSynthesizer(VoiceParams(voice="no-such-voice"), workers=1)
    with pytest.raises(TtsError, match="cannot use voice 'no-such-voice'; try one of: .*gmw/en-us"):
        await synth.start()
    assert synth.pids() == []


async def test_stream_yields_sentences_in_order(service: SpeechService) -> None:
    text = (
        "Thanks for waiting, your balance is $1,234.56 as of March 3rd. "
        "Your reference number is CMP-2024-00123. Is there anything else I can help with?"
    )
    plan = service.plan(text)
    assert plan[0] == "Thanks for waiting, your balance is"  # the read-back's lead-in
    assert plan[1] == (
        "one thousand two hundred and thirty-four dollars and fifty-six cents as of March third."
    )
    assert len(plan) == 4
    chunks = [chunk async for chunk in service.stream(text, "mulaw8k")]
    assert len(chunks) == len(plan)
    assert all(rms(c, "mulaw8k") > 300 for c in chunks)
    # Sentence by sentence, the same bytes as rendering each one alone.
    for sentence, chunk in zip(plan, chunks):
        assert await service.render_sentence(sentence, "mulaw8k") == chunk


async def test_cache_hit_returns_identical_bytes_from_memory_and_disk(tmp_path: Path) -> None:
    first = make_service(tmp_path / "cache", workers=1)
    await first.start()
    try:
        made = await first.synthesize(SENTENCE, "pcm16k")
        assert first.synthesized >= 1
        count = first.synthesized
        again = await first.synthesize(SENTENCE, "pcm16k")
        assert again == made and first.synthesized == count
        assert first.cache.hits_memory >= 1
    finally:
        await first.close()
    # A new process-like service on the same directory: no synthesis, same bytes from disk.
    second = make_service(tmp_path / "cache", workers=1)
    await second.start()
    try:
        assert await second.synthesize(SENTENCE, "pcm16k") == made
        assert second.synthesized == 0 and second.cache.hits_disk >= 1
        # The key covers the format: the phone format is a different entry.
        await second.synthesize(SENTENCE, "mulaw8k")
        assert second.synthesized >= 1
    finally:
        await second.close()
    assert list((tmp_path / "cache").glob("*/*.audio"))


async def test_prerender_caches_fixed_prompts_ahead_of_time(service: SpeechService) -> None:
    prompts = ["Thank you for calling. How can I help?", "Please hold, an agent will be with you shortly."]
    made = await service.prerender(prompts)
    assert made == 2 * 3  # three sentences, two formats
    assert await service.prerender(prompts) == 0
    before = service.synthesized
    for fmt in ("mulaw8k", "pcm16k"):
        async for _ in service.stream(prompts[0], fmt):
            pass
    assert service.synthesized == before


async def test_identical_concurrent_requests_share_one_synthesis(service: SpeechService) -> None:
    results = await asyncio.gather(*(service.synthesize("Shared sentence here.", "pcm16k") for _ in range(5)))
    assert len(set(results)) == 1
    assert service.synthesized == 1


async def test_nothing_to_say_yields_nothing(service: SpeechService) -> None:
    assert [c async for c in service.stream(" ... ", "mulaw8k")] == []


async def test_long_text_is_complete_and_requests_do_not_mix() -> None:
    # pyttsx3's runAndWait() returns before espeak-ng finishes a long text; the worker waits.
    long = " ".join([SENTENCE] * 12)
    synth = PooledSynthesizer(VoiceParams(), workers=1)
    await synth.start()
    try:
        results = await asyncio.gather(
            synth.synthesize(long, 8000), synth.synthesize("Hello.", 8000), synth.synthesize(long, 8000)
        )
    finally:
        await synth.close()
    expected = 12 * 12 / 175 * 60
    assert 0.6 * expected < results[0].duration_s < 1.6 * expected
    # About the same length (espeak-ng itself varies by a few milliseconds run to run).
    assert abs(results[0].duration_s - results[2].duration_s) < 0.02 * results[0].duration_s
    assert results[1].duration_s < 1.5


def test_wav_files_for_both_formats() -> None:
    pcm = b"\x01\x00" * 160
    with wave.open(BytesIO(wav_bytes(pcm, "pcm16k"))) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnframes()) == (16000, 2, 160)
    mulaw = wav_bytes(b"\xff" * 80, "mulaw8k")
    tag, channels, rate = struct.unpack("<HHI", mulaw[20:28])
    assert mulaw[:4] == b"RIFF" and (tag, channels, rate) == (7, 1, 8000)
    assert struct.unpack("<I", mulaw[4:8])[0] == len(mulaw) - 8
