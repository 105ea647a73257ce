"""Whisper (CTranslate2, run through faster-whisper's model, features and tokenizer): a
whole-utterance English recognizer for a caller's finished turn.

Whisper is trained on 30 s windows, and faster-whisper always pads to 30 s: on these CPUs
that is 0.7 s of encoding (tiny.en) for a 2 s turn. CTranslate2 encodes a shorter window
as well; the window here is the turn plus a margin, at least `min_window_s`, which keeps
nearly all the accuracy (measured in `voicebot bench stt`) at a fifth of the cost. The
audio itself is padded with silence, so the spectrogram's floor is what Whisper knows.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from pathlib import Path

import numpy as np

from stt.recognizer import RecognizerError, Transcript, Word

SAMPLE_RATE = 16000
HOP = 160  # samples per spectrogram frame (10 ms)
MAX_FRAMES = 3000  # Whisper's 30 s window
TOKENS_PER_SECOND = 8.0  # bounds the output (timestamp tokens included): a loop stops here
MARGIN_FRAMES = 100  # silence after the turn inside the window
# Whisper's own rule for "there was no speech": a likely no-speech token and an unlikely text;
# and a near-certain no-speech token alone (silence gave "you" at mean log-probability -0.98).
NO_SPEECH_PROB = 0.6
NO_SPEECH_LOGPROB = -1.0
SURELY_NO_SPEECH = 0.9
ENCODINGS_KEPT = 8  # ~0.8 MB each (tiny.en, 10 s window)


def without_restart(text: str) -> str:
    """Whisper sometimes starts its sentence again at the end of a short window ("What's the
    weather going to be tomorrow What's the weather going"): cut a tail of two words or more
    that repeats the beginning of a sentence of three words or more."""
    words = text.split()
    plain = [w.strip(".,?!").lower() for w in words]
    for cut in range(3, len(words) - 1):
        tail = plain[cut:]
        if tail == plain[: len(tail)]:
            return " ".join(words[:cut])
    return text


class WhisperDecoder:
    """Greedy decoding of one utterance at a time; not thread-safe (one per worker)."""

    sample_rate = SAMPLE_RATE

    def __init__(self, model_dir: Path, name: str = "whisper", threads: int = 1,
                 min_window_s: float = 10.0) -> None:
        try:
            import ctranslate2
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
        except ImportError as exc:
            raise RecognizerError(f"faster-whisper is not installed ({exc}); pip install faster-whisper") from exc
        if not (model_dir / "model.bin").is_file():
            raise RecognizerError(f"no Whisper model.bin in {model_dir}")
        try:
            self._model = WhisperModel(str(model_dir), device="cpu", compute_type="int8",
                                       cpu_threads=threads, num_workers=1)
        except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError for a bad file
            raise RecognizerError(f"cannot load the Whisper model in {model_dir}: {exc}") from exc
        self.name = name
        self._storage = ctranslate2.StorageView
        self._tokenizer = Tokenizer(self._model.hf_tokenizer, self._model.model.is_multilingual,
                                    task="transcribe", language="en")
        self._min_frames = min(MAX_FRAMES, int(min_window_s * 100))
        self._prompts: dict[str, list[int]] = {}
        # The last turns' encodings: other readings of a turn reuse its encoder pass (60 % of
        # the cost). Keyed by the audio itself; a few turns of a few calls at once.
        self._encoded: OrderedDict[bytes, object] = OrderedDict()

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        """Float32 mono audio at 16 kHz in [-1, 1]; `prompt` is text said before this turn
        (Whisper's "previous text"), which leans spelling and vocabulary towards it."""
        encoded, audio = self._encode(audio)
        prefix, limit = self._prefix(prompt), self._limit(audio)
        result = self._model.model.generate(
            encoded, [prefix], beam_size=1, max_length=len(prefix) + limit, return_scores=True,
            return_no_speech_prob=True, suppress_blank=True, suppress_tokens=[-1],
        )[0]
        ids = result.sequences_ids[0]
        logprob = result.scores[0] if result.scores else 0.0  # CTranslate2: mean per token
        if result.no_speech_prob > SURELY_NO_SPEECH or (
                result.no_speech_prob > NO_SPEECH_PROB and logprob < NO_SPEECH_LOGPROB):
            ids = []
        text = self._text(ids, prompt)
        confidence = math.exp(logprob) if text else 0.0
        words = [Word(w, 0.0, 0.0, confidence) for w in text.split()]
        return Transcript(text, confidence, words)

    def alternatives(self, audio: np.ndarray, prompt: str | None = None, count: int = 5) -> list[str]:
        """The `count` best readings of the audio by a beam search, most likely first (the
        dialogue asks for them when it could not understand the greedy transcript)."""
        encoded, audio = self._encode(audio)
        prefix, limit = self._prefix(prompt), self._limit(audio)
        result = self._model.model.generate(
            encoded, [prefix], beam_size=max(count, 1), num_hypotheses=max(count, 1),
            max_length=len(prefix) + limit, suppress_blank=True, suppress_tokens=[-1],
        )[0]
        return [text for ids in result.sequences_ids if (text := self._text(ids, prompt))]

    def _encode(self, audio: np.ndarray) -> tuple[object, np.ndarray]:
        frames = min(MAX_FRAMES, max(self._min_frames, audio.size // HOP + MARGIN_FRAMES))
        audio = audio[: frames * HOP].astype(np.float32, copy=False)
        key = hashlib.blake2b(audio.tobytes(), digest_size=16).digest()
        encoded = self._encoded.get(key)
        if encoded is None:
            padded = np.pad(audio, (0, frames * HOP - audio.size))
            features = self._model.feature_extractor(padded, padding=0)[:, :frames]
            encoded = self._model.model.encode(
                self._storage.from_array(np.ascontiguousarray(features[None])), to_cpu=False)
            self._encoded[key] = encoded
            while len(self._encoded) > ENCODINGS_KEPT:
                self._encoded.popitem(last=False)
        return encoded, audio

    def _prefix(self, prompt: str | None) -> list[int]:
        # With timestamp tokens Whisper marks where the speech ends and then stops; without
        # them, in a short window, it often starts the sentence again ("How do I change my
        # address? How do").
        return self._prompt_tokens(prompt) + list(self._tokenizer.sot_sequence)

    @staticmethod
    def _limit(audio: np.ndarray) -> int:
        return max(8, math.ceil(audio.size / SAMPLE_RATE * TOKENS_PER_SECOND) + 4)

    def _text(self, ids: list[int], prompt: str | None) -> str:
        text = self._tokenizer.decode([t for t in ids if t < self._tokenizer.eot]).strip()  # no timestamps
        if prompt is None:  # a dictated number may repeat itself; a sentence does not
            text = without_restart(text)
        return text

    def _prompt_tokens(self, prompt: str | None) -> list[int]:
        if not prompt:
            return []
        if prompt not in self._prompts:
            # Whisper reads at most half its context (224 tokens) as previous text.
            ids = self._tokenizer.encode(" " + prompt.strip())[-223:]
            self._prompts[prompt] = [self._tokenizer.sot_prev, *ids]
        return self._prompts[prompt]
