"""Choose and load the recognizer backend once per process; create one recognizer per call."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from stt.pocketsphinx_backend import PocketsphinxRecognizer
from stt.recognizer import Recognizer, RecognizerError
from stt.vosk_backend import VoskRecognizer, load_model

log = logging.getLogger(__name__)

Backend = Literal["auto", "vosk", "pocketsphinx"]
BACKENDS = ("auto", "vosk", "pocketsphinx")


class RecognizerFactory:
    """Holds the loaded model; `create()` gives each call its own recognizer.

    `auto` and `vosk` use the vosk model when it loads; a missing or corrupt model is one
    log line and the pocketsphinx fallback (with the domain language model when given and
    present, else the generic one; and the telephone MLLR transform when given and present),
    never a crash.
    """

    def __init__(
        self,
        backend: Backend = "auto",
        vosk_model_path: Path | None = None,
        domain_lm_path: Path | None = None,
        mllr_path: Path | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown recognizer backend {backend!r}; use one of {BACKENDS}")
        self._vosk_model = None
        self._lm_path: Path | None = None
        self._mllr_path: Path | None = None
        if backend in ("auto", "vosk") and vosk_model_path is not None:
            try:
                self._vosk_model = load_model(vosk_model_path)
            except RecognizerError as exc:
                level = logging.WARNING if backend == "vosk" else logging.INFO
                log.log(level, "%s; using pocketsphinx instead", exc)
        elif backend == "vosk":
            log.warning("no vosk model path configured; using pocketsphinx instead")
        if self._vosk_model is None:
            if domain_lm_path is not None and Path(domain_lm_path).is_file():
                self._lm_path = Path(domain_lm_path)
            elif domain_lm_path is not None:
                log.info("no domain language model at %s yet; using the generic one", domain_lm_path)
            if mllr_path is not None and Path(mllr_path).is_file():
                self._mllr_path = Path(mllr_path)
            elif mllr_path is not None:
                log.info("no telephone MLLR transform at %s; the model is not adapted", mllr_path)
            # Load once now, so a broken install fails at start-up rather than on a call.
            try:
                PocketsphinxRecognizer(8000, self._lm_path, self._mllr_path)
            except RecognizerError as exc:
                if self._mllr_path is None:
                    raise
                # A bad transform costs accuracy, not the service.
                log.warning("%s; telephone calls use the unadapted model", exc)
                self._mllr_path = None
                PocketsphinxRecognizer(8000, self._lm_path)

    @property
    def backend_name(self) -> str:
        return "vosk" if self._vosk_model is not None else "pocketsphinx"

    @property
    def language_model(self) -> Path | None:
        """The pocketsphinx language model in use (None: the generic one, or vosk)."""
        return self._lm_path

    @property
    def mllr(self) -> Path | None:
        """The telephone MLLR transform pocketsphinx uses for 8 kHz calls (None: none)."""
        return self._mllr_path

    def create(self, sample_rate: int, phrases: list[str] | None = None) -> Recognizer:
        """A new recognizer for one call. `phrases` bias vosk towards the bot's vocabulary."""
        if self._vosk_model is not None:
            return VoskRecognizer(self._vosk_model, sample_rate, phrases)
        return PocketsphinxRecognizer(sample_rate, self._lm_path, self._mllr_path)
