"""pocketsphinx: the embedded recognizer (its US English model ships inside the wheel).

The acoustic model is 16 kHz: telephone audio is upsampled with soxr (measured: decoding
8 kHz audio directly with a narrowed filterbank is far worse). The search is trimmed
(no flat-lexicon pass, at most 3000 active HMMs per frame) to cost about 0.14 of a core
per live call with the generic model and no loss of accuracy on the Asterisk prompts.
The domain language model's smaller search affords 5000 active HMMs at about 0.11 of a core.
Telephone audio (below 16 kHz) also gets the MLLR channel transform when one was built
(`stt.adaptation`): in-domain WER about 5 points lower, no extra CPU.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from stt.audio import Resampler, check_rate
from stt.recognizer import RecognizerError, Transcript, Word, mean_confidence

log = logging.getLogger(__name__)

MODEL_RATE = 16000
FRAME_S = 0.01  # pocketsphinx frame rate 100/s
SEARCH_OPTIONS = {"fwdflat": False, "maxhmmpf": 3000}
# With the domain LM: 5000 active HMMs took dev-half in-domain WER from 14.4 to 14.0 % for
# +5 % CPU (before adaptation). The flat-lexicon second pass ({"fwdflat": True}) is off: with
# the transform its dev-half gain did not hold on the held-out half (11.7 against 11.4 %), and
# it costs 25-36 % more CPU and ~70 ms per turn (pocketsphinx runs it after the utterance ends).
DOMAIN_LM_OPTIONS: dict[str, object] = {"maxhmmpf": 5000}
# Initial cepstral means of telephone audio upsampled to 16 kHz (measured after decoding
# Asterisk prompts and mu-law caller speech). The model's default (40,3,-1) is for wideband
# speech: with it the first utterance of a call came out at 61 % WER instead of 18 %.
TELEPHONE_CMNINIT = "46,31,-29,40,-19,2,11,-22,22,-10,-1,9,-12"
_FILLER = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\+.*\+)$")
_VARIANT = re.compile(r"\(\d+\)$")


def default_model_dir() -> Path:
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us"


def decoder_config(lm_path: Path | None = None, **options: object) -> dict[str, object]:
    """Keyword arguments for `pocketsphinx.Decoder` (generic LM unless `lm_path`)."""
    config: dict[str, object] = {"loglevel": "FATAL", **SEARCH_OPTIONS}
    if lm_path is not None:
        config.update(DOMAIN_LM_OPTIONS, lm=str(lm_path))
    config.update(options)
    return config


class PocketsphinxRecognizer:
    """One pocketsphinx decoder, for one call."""

    def __init__(
        self,
        sample_rate: int,
        lm_path: Path | None = None,
        telephone_mllr: Path | None = None,
        **options: object,
    ) -> None:
        """`telephone_mllr`: the channel transform (`stt.adaptation`) for audio below 16 kHz."""
        import pocketsphinx

        self.sample_rate = check_rate(sample_rate)
        if sample_rate < MODEL_RATE:
            options.setdefault("cmninit", TELEPHONE_CMNINIT)
            if telephone_mllr is not None:
                options.setdefault("mllr", str(telephone_mllr))
        try:
            self._decoder = pocketsphinx.Decoder(**decoder_config(lm_path, **options))
        except (RuntimeError, ValueError) as exc:
            raise RecognizerError(
                f"pocketsphinx could not load (lm={lm_path}, mllr={options.get('mllr')}): {exc}"
            ) from exc
        self._resampler = Resampler(sample_rate, MODEL_RATE)
        self._partial = ""
        self._started = False
        self._initial_cmn = self._decoder.get_cmn(False)

    def _ensure_started(self) -> None:
        if not self._started:
            self._decoder.start_utt()
            self._started = True

    def accept(self, pcm: bytes) -> str | None:
        self._ensure_started()
        data = self._resampler.process(pcm)
        if data:
            self._decoder.process_raw(data, False, False)
        hyp = self._decoder.hyp()
        text = hyp.hypstr if hyp is not None else ""
        if text != self._partial:
            self._partial = text
            return text
        return None

    def final(self) -> Transcript:
        self._ensure_started()
        tail = self._resampler.flush()
        if tail:
            self._decoder.process_raw(tail, False, False)
        self._decoder.end_utt()
        self._started = False
        hyp = self._decoder.hyp()
        words = [
            Word(
                _VARIANT.sub("", seg.word),
                seg.start_frame * FRAME_S,
                (seg.end_frame + 1) * FRAME_S,
                float(seg.prob),
            )
            for seg in (self._decoder.seg() if hyp is not None else [])
            if not _FILLER.match(seg.word)
        ]
        self._reset_stream()
        text = " ".join(w.word for w in words)
        return Transcript(text, mean_confidence(words), words)

    def reset(self) -> None:
        if self._started:
            self._decoder.end_utt()
            self._started = False
        self._reset_stream()

    def new_caller(self) -> None:
        # The cepstral mean adapts to the caller's voice and line over a call and survives
        # reset() (measured: after 2 s of one sound, the next caller's "balance please" came
        # out as "balance depletion"): a new call starts again from the initial mean.
        self.reset()
        self._decoder.set_cmn(self._initial_cmn)

    def _reset_stream(self) -> None:
        self._resampler = Resampler(self.sample_rate, MODEL_RATE)
        self._partial = ""
