"""The telephone MLLR transform: built with the real SphinxTrain tools from the Asterisk
prompts outside the benchmark's 150, loaded by the recognizer for 8 kHz calls, and
decoding held-out human speech and synthetic callers better than without it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.bench.corpus import load_8k
from bot.bench.stt import _decode
from bot.bench.wer import wer
from stt import adaptation
from stt.adaptation import AdaptationError, build_mllr
from stt.asterisk_prompts import adaptation_recordings, asterisk_prompts
from stt.factory import RecognizerFactory
from stt.pocketsphinx_backend import PocketsphinxRecognizer
from stt.recognizer_pool import RecognizerPool


@pytest.fixture(scope="module")
def telephone_mllr(tmp_path_factory) -> Path:
    return build_mllr(tmp_path_factory.mktemp("mllr") / "telephone.mllr", adaptation_recordings())


def test_adaptation_data_never_includes_benchmark_prompts():
    bench = {p.path for p in asterisk_prompts(150)}
    recordings = adaptation_recordings()
    assert len(recordings) > 300
    assert not bench & {path for path, _ in recordings}


def test_build_is_skipped_when_nothing_changed(telephone_mllr):
    stamp = telephone_mllr.with_name(telephone_mllr.name + ".sha256")
    assert stamp.is_file()
    lines = telephone_mllr.read_text().split()
    assert lines[:3] == ["1", "3", "13"]  # one class, three streams of 13 coefficients
    before = telephone_mllr.stat().st_mtime_ns
    assert build_mllr(telephone_mllr, adaptation_recordings()) == telephone_mllr
    assert telephone_mllr.stat().st_mtime_ns == before


def test_transform_improves_held_out_human_speech(telephone_mllr):
    # Every 10th benchmark prompt: the same speaker as the adaptation data, other sentences.
    items = [(p.text, load_8k(p.path)) for p in asterisk_prompts(150)[::10]]
    plain, _, _ = _decode(PocketsphinxRecognizer(8000), items, 8000)
    adapted, _, _ = _decode(PocketsphinxRecognizer(8000, None, telephone_mllr), items, 8000)
    # Measured 72 % -> 41 % WER on these 15 prompts (generic LM).
    assert wer(adapted) < wer(plain) - 0.2


def test_transform_improves_synthetic_callers(telephone_mllr, caller_speech, domain_lm):
    # Voices the transform never heard: the gain is the telephone channel, not the speaker.
    items = [(s, pcm) for s, _, pcm in caller_speech]
    # The generic LM leaves the acoustics to show: measured 33.5 -> 21.6 % on the benchmark.
    plain, _, _ = _decode(PocketsphinxRecognizer(8000), items, 8000)
    factory = RecognizerFactory("pocketsphinx", None, None, telephone_mllr)
    assert factory.mllr == telephone_mllr
    adapted, _, _ = _decode(factory.create(8000), items, 8000)
    assert wer(adapted) < wer(plain) - 0.03, (wer(adapted), wer(plain))
    # With the domain LM these 40 utterances are too few to show its gain (13.9 -> 8.9 % on
    # the benchmark's 1045; here 6.8 against 7.5 % once): the transform must not cost more
    # than a few words.
    plain, _, _ = _decode(PocketsphinxRecognizer(8000, domain_lm), items, 8000)
    factory = RecognizerFactory("pocketsphinx", None, domain_lm, telephone_mllr)
    adapted, _, _ = _decode(factory.create(8000), items, 8000)
    assert wer(adapted) <= wer(plain) + 0.02, (wer(adapted), wer(plain))


async def test_pool_workers_decode_with_the_transform(telephone_mllr):
    # "please enter your password followed by the pound key": unadapted, the generic model
    # hears "we've endured and where did all of that and he".
    prompt = asterisk_prompts(150)[1]
    pcm = load_8k(prompt.path)
    unadapted = _decode(PocketsphinxRecognizer(8000), [("", pcm)], 8000)[0][0][1]
    assert "password followed by the pound key" not in unadapted
    pool = await RecognizerPool.start("pocketsphinx", workers=1, warm_decoders=1,
                                      mllr_path=telephone_mllr)
    try:
        assert pool.mllr == telephone_mllr
        stream = await pool.open(8000)
        for i in range(0, len(pcm), 320):
            await stream.accept(pcm[i : i + 320])
        # Not compared word for word with in-process decoding: pocketsphinx's output shifts a
        # little once any decoder with another language model was freed in the process.
        assert "password followed by the pound key" in (await stream.final()).text
        await stream.close()
    finally:
        await pool.close()


def test_wideband_audio_is_not_adapted(telephone_mllr):
    narrow = PocketsphinxRecognizer(8000, None, telephone_mllr)._decoder.config["mllr"]
    wide = PocketsphinxRecognizer(16000, None, telephone_mllr)._decoder.config["mllr"]
    assert narrow == str(telephone_mllr)
    assert wide is None


def test_factory_falls_back_when_the_transform_is_missing_or_broken(tmp_path, caplog):
    assert RecognizerFactory("pocketsphinx", None, None, tmp_path / "none.mllr").mllr is None
    broken = tmp_path / "broken.mllr"
    broken.write_text("1\n3\n13\n0.5\n")
    with caplog.at_level(logging.WARNING, logger="stt.factory"):
        factory = RecognizerFactory("pocketsphinx", None, None, broken)
    assert factory.mllr is None
    assert "unadapted" in caplog.text
    assert factory.create(8000).final().text == ""


def test_missing_sphinxtrain_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(adaptation, "SPHINXTRAIN_DIR", tmp_path)
    with pytest.raises(AdaptationError, match="apt-get install sphinxtrain"):
        build_mllr(tmp_path / "t.mllr", adaptation_recordings(), force=True)
