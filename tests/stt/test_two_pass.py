"""Two passes over a caller's turn, real models: pocketsphinx partials while the caller
speaks, the neural model's final transcript, and the guess started at the first pause."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bench.corpus import load_8k
from bot.bench.wer import wer
from bot.config import PROJECT_ROOT
from stt.asterisk_prompts import asterisk_prompts
from stt.final_pass import FinalPass
from stt.neural_models import DEFAULT_FINAL_MODEL, load_final_decoder
from stt.pocketsphinx_backend import PocketsphinxRecognizer
from stt.text import normalise
from stt.two_pass import TwoPassRecognizer

pytestmark = pytest.mark.slow
FRAME = 320


@pytest.fixture(scope="module")
def final_pass():
    final = FinalPass(load_final_decoder(DEFAULT_FINAL_MODEL, PROJECT_ROOT / "models"))
    yield final
    final.close()


@pytest.fixture
def recognizer(final_pass) -> TwoPassRecognizer:
    return TwoPassRecognizer(PocketsphinxRecognizer(8000), final_pass)


def _feed(recognizer: TwoPassRecognizer, pcm: bytes) -> list[str]:
    partials = []
    for i in range(0, len(pcm), FRAME):
        partial = recognizer.accept(pcm[i : i + FRAME])
        if partial:
            partials.append(partial)
    return partials


def _prompt(name: str) -> tuple[str, bytes]:
    prompt = next(p for p in asterisk_prompts() if p.name == name)
    return prompt.words, load_8k(prompt.path)


def test_partials_stream_and_the_final_comes_from_the_neural_pass(recognizer) -> None:
    words, pcm = _prompt("please-try-again")
    partials = _feed(recognizer, pcm)
    assert partials, "pocketsphinx partials arrive while the caller speaks"
    final = recognizer.final_async("text").result(30)
    assert normalise(final.text) == words == "please try again"
    assert final.text[0].isupper(), "written by Whisper, not pocketsphinx (lower case)"
    assert recognizer.speculation_hits == 0


def test_the_guess_from_the_pause_answers_the_final_at_once(recognizer) -> None:
    words, pcm = _prompt("vm-goodbye")
    _feed(recognizer, pcm)
    recognizer.speculate("text")
    guess = recognizer._guess
    assert guess is not None
    guess.future.result(30)  # the caller stays quiet while the end-of-speech silence passes
    _feed(recognizer, bytes(4000))
    answer = recognizer.final_async("text", use_guess=True)
    assert answer is guess.future and answer.done()  # nothing decoded after the turn ended
    final = answer.result()
    assert normalise(final.text) == words and recognizer.speculation_hits == 1


def test_a_guess_is_dropped_when_the_caller_goes_on(recognizer) -> None:
    first, pcm1 = _prompt("please-try-again")
    second, pcm2 = _prompt("vm-goodbye")
    _feed(recognizer, pcm1)
    recognizer.speculate("text")
    _feed(recognizer, bytes(1600) + pcm2)  # a pause, then more words
    final = recognizer.final_async("text", use_guess=False).result(30)
    assert wer([(f"{first} {second}", normalise(final.text))]) <= 0.2, final.text
    # the next turn starts empty
    _feed(recognizer, pcm2)
    assert normalise(recognizer.final_async("text").result(30).text) == second


def test_reset_and_new_caller_forget_the_turn(recognizer) -> None:
    _, pcm = _prompt("please-try-again")
    _feed(recognizer, pcm)
    recognizer.speculate("text")
    recognizer.new_caller()
    assert recognizer.final_async("text").result(30).text == ""


def test_a_missing_model_is_one_clear_error(tmp_path: Path) -> None:
    from stt.neural_models import MODELS, model_dir
    from stt.recognizer import RecognizerError

    with pytest.raises(RecognizerError, match="not installed"):
        load_final_decoder("whisper-base", tmp_path)  # not joined into this folder
    with pytest.raises(RecognizerError, match="unknown final-pass model"):
        load_final_decoder("whisper-huge", tmp_path)
    assert model_dir(MODELS["whisper-base"], tmp_path) == tmp_path / "whisper-base"


def test_buffered_audio_reaches_the_final_pass_without_partials(recognizer) -> None:
    words, pcm = _prompt("please-try-again")
    for i in range(0, len(pcm), FRAME):
        recognizer.buffer(pcm[i : i + FRAME])  # the bot is silent: no barge-in to watch for
    assert recognizer.streaming.final().text == ""  # pocketsphinx heard nothing
    assert normalise(recognizer.final_async("text").result(30).text) == words


def test_other_readings_of_the_last_turn_come_from_a_beam(recognizer) -> None:
    assert recognizer.alternatives_async().result(30) == []  # no turn has ended yet
    words, pcm = _prompt("please-try-again")
    _feed(recognizer, pcm)
    final = recognizer.final_async("text").result(30)
    readings = recognizer.alternatives_async(5).result(30)
    assert 1 <= len(readings) <= 5
    assert len({r.casefold() for r in readings}) == len(readings), "each reading once"
    assert all(r and not any(c in r for c in ".,?!") for r in readings), readings
    assert words in [normalise(r) for r in readings] and normalise(final.text) == words
    recognizer.new_caller()
    assert recognizer.alternatives_async().result(30) == [], "a new caller's first turn has none"
