"""A final-pass decoder whose timing the test scripts: each decode waits for the test to
open a gate, and the order of decodes is recorded. Only for ordering tests of
`stt.final_pass`; the real models are tested in test_neural_decoders.py."""

from __future__ import annotations

import threading

import numpy as np

from stt.recognizer import Transcript, Word


class GatedDecoder:
    name = "gated"
    sample_rate = 16000

    def __init__(self) -> None:
        self.order: list[int] = []
        self.gate = threading.Event()
        self.started = threading.Event()

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        self.started.set()
        self.gate.wait(10)
        # The test tells jobs apart by their length in samples (8 kHz input, 16 kHz here).
        n = int(audio.size // 32)
        if n == 99:
            raise RuntimeError("this decode fails")
        self.order.append(n)
        return Transcript(f"job {n} {prompt or ''}".strip(), 1.0, [Word("job", 0, 0, 1.0)])
