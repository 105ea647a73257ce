"""vosk (Kaldi): the model directory is loaded once per process and shared by all calls;
each call gets its own KaldiRecognizer with words and partial results on."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from stt.audio import check_rate
from stt.recognizer import RecognizerError, Transcript, Word, mean_confidence

log = logging.getLogger(__name__)

_models: dict[Path, Any] = {}
_lock = threading.Lock()


def load_model(path: Path) -> Any:
    """The shared `vosk.Model` for a directory (loaded on first use); RecognizerError if bad."""
    path = Path(path).resolve()
    with _lock:
        if path in _models:
            return _models[path]
        if not (path / "am").is_dir() and not (path / "final.mdl").is_file():
            raise RecognizerError(f"no vosk model at {path} (run `voicebot models fetch`)")
        import vosk

        vosk.SetLogLevel(-1)
        try:
            model = vosk.Model(str(path))
        except Exception as exc:  # vosk raises a bare Exception for any load failure
            raise RecognizerError(f"vosk model at {path} could not be loaded: {exc}") from exc
        _models[path] = model
        return model


def loaded_models() -> list[Path]:
    with _lock:
        return list(_models)


class VoskRecognizer:
    """One KaldiRecognizer on the shared model, for one call.

    `phrases` restricts recognition to those phrases (plus "[unk]") when the model has a
    lookahead graph (small models do); a big static-graph model ignores them.
    """

    def __init__(self, model: Any, sample_rate: int, phrases: list[str] | None = None) -> None:
        import vosk

        self.sample_rate = check_rate(sample_rate)
        self._model = model
        self._grammar = None
        if phrases:
            # "[unk]" lets out-of-list speech come out as unknown, where the model has it.
            unk = ["[unk]"] if model.vosk_model_find_word("[unk]") >= 0 else []
            self._grammar = json.dumps([*phrases, *unk], ensure_ascii=False)
        self._make = lambda: (
            vosk.KaldiRecognizer(model, sample_rate, self._grammar)
            if self._grammar
            else vosk.KaldiRecognizer(model, sample_rate)
        )
        self._rec = self._new()
        self._segments: list[dict[str, Any]] = []
        self._partial = ""

    def _new(self) -> Any:
        rec = self._make()
        rec.SetWords(True)
        rec.SetPartialWords(True)
        return rec

    def accept(self, pcm: bytes) -> str | None:
        if self._rec.AcceptWaveform(pcm):
            # vosk found its own end of utterance inside our turn: keep that piece.
            self._segments.append(json.loads(self._rec.Result()))
            partial = ""
        else:
            partial = json.loads(self._rec.PartialResult()).get("partial", "")
        text = " ".join(t for t in [*(s.get("text", "") for s in self._segments), partial] if t)
        if text != self._partial:
            self._partial = text
            return text
        return None

    def final(self) -> Transcript:
        results = [*self._segments, json.loads(self._rec.FinalResult())]
        words = [
            Word(w["word"], float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
            for r in results
            for w in r.get("result", [])
            if not (w.get("word", "").startswith("[") and w["word"].endswith("]"))
        ]
        self.reset()
        text = " ".join(w.word for w in words)
        return Transcript(text, mean_confidence(words), words)

    def reset(self) -> None:
        self._rec = self._new()
        self._segments = []
        self._partial = ""

    def new_caller(self) -> None:
        self.reset()  # a new KaldiRecognizer keeps nothing of the last caller
