"""The intelligibility benchmark's parts, for real: Piper through 8 kHz mu-law, judged by Whisper."""

from __future__ import annotations

from bot.bench.tts_intelligibility import installed_voices, load_judge, measure_voice, spoken_words
from bot.config import load_settings
from tts.synthesizer import VoiceParams


def test_the_judge_s_spelling_and_the_bot_s_reading_compare_as_the_same_words() -> None:
    said = spoken_words("A payment of $1,250.75 on March 4th, 2025, reference CMP-2024-001.")
    assert said == spoken_words("a payment of one thousand two hundred and fifty dollars and "
                                "seventy five cents on March fourth, twenty twenty-five, "
                                "reference C M P, two zero two four, zero zero one")
    assert spoken_words("Thank you for calling Harbour Bank.") == "thank you for calling harbour bank"


def test_every_installed_engine_is_measured() -> None:
    engines = {v.engine for v in installed_voices(load_settings())}
    assert engines == {"pyttsx3", "piper", "festival", "flite"}  # all four are installed here


async def test_piper_through_the_phone_path_is_understood_and_levelled() -> None:
    settings = load_settings()
    judge, decoder = load_judge(settings.path(settings.paths.models_dir))
    assert judge == "whisper-base"  # the best installed recognizer is the judge
    sentences = ["Your card ending in 4821 has been frozen.",
                 "For your security, never share your PIN or your online banking passcode.",
                 "Your complaint reference is CMP-2024-00123."]
    result = await measure_voice(VoiceParams("en_US-joe-medium", engine="piper"), decoder, 250, sentences)
    assert result["wer"] <= 0.1, result["pairs"]
    assert result["peak_dbfs"] <= -0.8 and -21 <= result["rms_dbfs_min"] <= result["rms_dbfs_max"] <= -19
    assert 0 < result["cpu_per_audio_s"] < 1.0  # faster than real time
    assert result["first_audio_p50_ms"] > 0
